package io.scalebox.daemon;

import io.scalebox.api.ApiServer;
import io.scalebox.api.Authenticator;
import io.scalebox.api.Route;
import io.scalebox.api.SystemResource;
import io.scalebox.config.Config;
import io.scalebox.host.HostAddress;
import io.scalebox.host.HostStats;
import io.scalebox.hypervisor.HypervisorKind;
import io.scalebox.storage.TemplateStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** Wires the daemon's parts from a validated configuration and runs the API server. */
public final class Daemon {
    private static final Logger LOG = LogManager.getLogger(Daemon.class);
    private static final Path PROC = Path.of("/proc");

    private final Config config;
    private final ApiServer server;

    public Daemon(Config config, int port) {
        this.config = config;
        String hostIp = config.hostIp().orElseGet(() -> HostAddress.detect(PROC));
        TemplateStore templates = new TemplateStore(config.templatesDir());
        List<Route> routes = new ArrayList<>();
        routes.addAll(new SystemResource(config, Version.current(), hostIp, new HostStats(PROC), templates,
                () -> 0).routes());
        this.server = new ApiServer(config.apiBind(), port, new Authenticator(config.apiToken()), routes);
    }

    /** Prepares the data directories and binds the port. */
    public void start() throws IOException {
        for (Path dir : List.of(config.dataDir(), config.templatesDir(), config.vmsDir(),
                config.dataDir().resolve("kernel"))) {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwxr-x---")));
            }
        }
        HypervisorKind kind = HypervisorKind.resolve(config);
        LOG.info("scaleboxd {} starting: hypervisor {} ({}), data in {}", Version.current(), kind.key(),
                kind.accel(config), config.dataDir());
        server.start();
    }

    public int port() {
        return server.port();
    }

    public void stop() {
        server.stop();
    }
}
