package io.scalebox.api;

import io.scalebox.config.Config;
import io.scalebox.https.CaddySite;
import io.scalebox.host.HostStats;
import io.scalebox.hypervisor.HypervisorKind;
import io.scalebox.storage.GuestKernel;
import io.scalebox.storage.TemplateStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/** {@code GET /health} and {@code GET /info}. */
public final class SystemResource {
    private final Config config;
    private final String version;
    private final String hostIp;
    private final HostStats stats;
    private final TemplateStore templates;
    private final GuestKernel kernel;
    private final IntSupplier vmCount;
    private final String cloneMode;
    private final HypervisorKind hypervisor;
    private final LongSupplier committed;
    private final Optional<CaddySite> caddy;
    private final java.util.function.Supplier<Map<String, Object>> fleet;
    private static final byte[] HEALTHY = "{\"status\":\"ok\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    /** @param hypervisor the backend in use, decided once at start (HYPERVISOR=auto resolved) */
    public SystemResource(Config config, String version, String hostIp, HostStats stats, TemplateStore templates,
                          GuestKernel kernel, IntSupplier vmCount, LongSupplier committed, String cloneMode,
                          HypervisorKind hypervisor, Optional<CaddySite> caddy) {
        this(config, version, hostIp, stats, templates, kernel, vmCount, committed, cloneMode, hypervisor, caddy,
                () -> null);
    }

    /** @param fleet what /info says of the fleet (null on a host on its own) */
    public SystemResource(Config config, String version, String hostIp, HostStats stats, TemplateStore templates,
                          GuestKernel kernel, IntSupplier vmCount, LongSupplier committed, String cloneMode,
                          HypervisorKind hypervisor, Optional<CaddySite> caddy,
                          java.util.function.Supplier<Map<String, Object>> fleet) {
        this.fleet = fleet;
        this.caddy = caddy;
        this.committed = committed;
        this.hypervisor = hypervisor;
        this.cloneMode = cloneMode;
        this.kernel = kernel;
        this.config = config;
        this.version = version;
        this.hostIp = hostIp;
        this.stats = stats;
        this.templates = templates;
        this.vmCount = vmCount;
    }

    public List<Route> routes() {
        return List.of(
                Route.open("GET", "/health", r -> Response.json(HEALTHY)).onIoThread(),
                Route.authenticated("GET", "/info", r -> Response.ok(info())));
    }

    /** What the base build recorded (Debian and kernel versions, date); null when unknown. */
    private Map<String, Object> baseTemplate() {
        Map<String, String> m = templates.metadata(Config.BASE_TEMPLATE);
        if (!templates.exists(Config.BASE_TEMPLATE) || !m.containsKey("debian_version")) {
            return null;
        }
        return Json.object("debian_version", m.get("debian_version"), "kernel_version", m.get("kernel_version"),
                "built_at", m.get("built_at"));
    }

    Map<String, Object> info() {
        try {
            HostStats.Storage disk = stats.storage(config.dataDir());
            HostStats.Memory mem = stats.memory();
            return Json.object(
                    "host_ip", hostIp,
                    "base_domain", config.baseDomain().orElse(null),
                    "templates_count", templates.list().size(),
                    "vms_count", vmCount.getAsInt(),
                    "hypervisor", hypervisor.key(),
                    "accel", hypervisor.accel(config),
                    "version", version,
                    "storage", Json.object("total_gb", Json.gb(disk.total()), "used_gb", Json.gb(disk.used()),
                            "free_gb", Json.gb(disk.free()), "committed_gb", Json.gb(committed.getAsLong()),
                            "overcommit", config.diskOvercommit()),
                    "memory", Json.object("total_gb", Json.gb(mem.total()), "free_gb", Json.gb(mem.free())),
                    "cpu_percent", stats.cpuPercent(),
                    "disk_clone", cloneMode,
                    "kernel_ready", kernel.ready(),
                    "base_template_ready", templates.exists(Config.BASE_TEMPLATE),
                    "base_template", baseTemplate(),
                    "https", Json.object("active", caddy.map(c -> c.state() == CaddySite.State.ACTIVE).orElse(false),
                            "caddy", caddy.map(c -> c.state().key()).orElse("unused"),
                            "api_domain", config.https().apiDomain().orElse(null)),
                    "fleet", fleet.get());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
