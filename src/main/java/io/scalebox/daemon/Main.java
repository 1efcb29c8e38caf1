package io.scalebox.daemon;

import io.scalebox.config.Config;
import io.scalebox.https.CaddySite;
import io.scalebox.config.ConfigError;
import io.scalebox.config.ConfigKey;
import io.scalebox.config.ConfigParser;
import io.scalebox.config.EnvFile;
import io.scalebox.config.InvalidConfigException;
import io.scalebox.hypervisor.GuestShutdown;
import io.scalebox.log.LineLoggers;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code scaleboxd}: runs the daemon with its configuration from the environment (systemd's
 * {@code EnvironmentFile=/etc/scalebox/config}), or checks a configuration file.
 */
public final class Main {
    static final Path DEFAULT_CONFIG = Path.of("/etc/scalebox/config");
    /** sysexits.h EX_CONFIG; the unit's RestartPreventExitStatus keeps systemd from looping on it. */
    static final int EXIT_CONFIG = 78;
    static final int EXIT_USAGE = 64;

    private static final String USAGE = """
            Usage: scaleboxd                      run the daemon (configuration from the environment,
                                                  as systemd loads /etc/scalebox/config)
                   scaleboxd --config FILE        run the daemon with the configuration in FILE
                   scaleboxd --check-config [FILE]
                                                  validate FILE (default /etc/scalebox/config) and print
                                                  the effective configuration, token masked
                   scaleboxd --self-test          start on a loopback port, query it, stop (used to
                                                  train the class-data-sharing archive)
                   scaleboxd --stop-vm --hypervisor qemu|firecracker --timeout SECONDS VM_DIR
                                                  ask the guest of a VM unit to power off and wait
                                                  (the unit's ExecStop; the PID comes in MAINPID)
                   scaleboxd --forwarder SOCKET   hold the VMs' ports and forward them to the guests, told
                                                  which by the daemon on SOCKET (the daemon starts it)
                   scaleboxd --caddy-remove [FILE]
                                                  take scalebox's site out of the host's Caddy (the
                                                  package's prerm on removal)
                   scaleboxd --version | --help
            """;

    private Main() {
    }

    public static void main(String[] args) {
        System.setProperty("org.jboss.logging.provider", "log4j2");
        int code = run(args, System.out, System.err);
        if (code >= 0) {
            System.exit(code);
        }
    }

    /** Runs one command; a negative result means the daemon is running and main must return. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> a = List.of(args);
        if (a.isEmpty()) {
            return serve(System.getenv(), configFileForWarnings());
        }
        switch (a.get(0)) {
            case "--help", "-h":
                out.print(USAGE);
                return 0;
            case "--version":
                out.println("scaleboxd " + Version.current());
                return 0;
            case "--check-config":
                if (a.size() > 2) {
                    break;
                }
                return checkConfig(a.size() == 2 ? Path.of(a.get(1)) : DEFAULT_CONFIG, out, err);
            case "--config":
                if (a.size() != 2) {
                    break;
                }
                try {
                    Path file = Path.of(a.get(1));
                    return serve(EnvFile.read(file), file);
                } catch (IOException e) {
                    err.println("scaleboxd: cannot read " + a.get(1) + ": " + e.getMessage());
                    return EXIT_CONFIG;
                }
            case "--caddy-remove":
                if (a.size() > 2) {
                    break;
                }
                return caddyRemove(a.size() == 2 ? Path.of(a.get(1)) : DEFAULT_CONFIG, out, err);
            case "--stop-vm":
                return StopVmCommand.run(a.subList(1, a.size()), System.getenv(), GuestShutdown.system(), out, err);
            case "--forwarder":
                return a.size() == 2 ? io.scalebox.forwarder.Forwarder.run(Path.of(a.get(1)), Version.current())
                        : usage(err, a);
            case "--self-test":
                return a.size() == 1 ? SelfTest.run(out, err) : usage(err, a);
            default:
                break;
        }
        return usage(err, a);
    }

    private static int usage(PrintStream err, List<String> args) {
        err.println("scaleboxd: unknown or incomplete arguments: " + String.join(" ", args));
        err.print(USAGE);
        return EXIT_USAGE;
    }

    private static Path configFileForWarnings() {
        String f = System.getenv("SCALEBOX_CONFIG");
        return f != null && !f.isEmpty() ? Path.of(f) : DEFAULT_CONFIG;
    }

    /**
     * Removes scalebox's pieces from Caddy's running configuration. Never fails the caller
     * (a package removal): a Caddy that does not answer has nothing of ours to keep.
     */
    static int caddyRemove(Path file, PrintStream out, PrintStream err) {
        try {
            Config config = ConfigParser.parse(EnvFile.read(file));
            new CaddySite(config.baseDomain().orElse("invalid"), config.https(), "127.0.0.1:" + config.apiPort())
                    .remove();
            out.println("scaleboxd: scalebox's site is not in Caddy (" + config.https().caddyAdmin() + ")");
        } catch (IOException | InvalidConfigException e) {
            err.println("scaleboxd: Caddy not reached, nothing removed: " + e.getMessage());
        } catch (CaddySite.CaddyRefused e) {
            err.println("scaleboxd: Caddy refused the removal: " + e.getMessage());
        }
        return 0;
    }

    static int checkConfig(Path file, PrintStream out, PrintStream err) {
        Map<String, String> values;
        try {
            values = EnvFile.read(file);
        } catch (IOException e) {
            err.println("scaleboxd: cannot read " + file + ": " + e);
            return EXIT_CONFIG;
        }
        for (String key : ConfigParser.unknownKeys(values.keySet())) {
            err.println("warning: unknown key " + key + " in " + file + " is ignored");
        }
        try {
            Config config = ConfigParser.parse(values);
            config.describe().forEach((k, v) -> out.println(k + "=" + v));
            return 0;
        } catch (InvalidConfigException e) {
            for (ConfigError error : e.errors()) {
                err.println("error: " + error.message());
            }
            err.println(file + ": " + e.errors().size() + " invalid value(s)");
            return EXIT_CONFIG;
        }
    }

    private static int serve(Map<String, String> env, Path fileForWarnings) {
        Logger log = LogManager.getLogger(Main.class);
        Config config;
        try {
            config = ConfigParser.parse(only(env));
        } catch (InvalidConfigException e) {
            for (ConfigError error : e.errors()) {
                log.fatal("config: {}", error.message());
            }
            log.fatal("invalid configuration ({} bad value(s)); fix {} and restart scaleboxd", e.errors().size(),
                    fileForWarnings);
            return EXIT_CONFIG;
        }
        LineLoggers.setLevel(Level.valueOf(config.logLevel().name()));
        warnUnknownKeys(log, fileForWarnings);
        warnIfReadableByOthers(log, fileForWarnings);

        Daemon daemon = new Daemon(config, config.apiPort(), true);
        try {
            daemon.start();
        } catch (ApiSocket.Moving e) {
            log.info("{}: waiting for systemd to stop this daemon", e.getMessage());
            sleepSeconds(60);
            return 1;
        } catch (IOException | io.scalebox.host.CommandException | RuntimeException e) {
            log.fatal("cannot start: {}", rootMessage(e));
            return 1;
        }
        log.info("listening on {}:{}", config.apiBind(), config.apiPort());
        SystemdNotifier notifier = new SystemdNotifier(System.getenv("NOTIFY_SOCKET"));
        notifier.ready("serving on port " + config.apiPort());

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping on signal; VMs keep running");
            notifier.stopping();
            daemon.stop();
            log.info("stopped");
        }, "shutdown"));
        return -1;
    }

    /** The configuration keys of the environment: the rest of it (PATH, …) is not ours. */
    private static Map<String, String> only(Map<String, String> env) {
        Map<String, String> m = new HashMap<>();
        for (ConfigKey k : ConfigKey.values()) {
            String v = env.get(k.name());
            if (v != null) {
                m.put(k.name(), v);
            }
        }
        return m;
    }

    private static void warnUnknownKeys(Logger log, Path file) {
        if (!Files.isReadable(file)) {
            return;
        }
        try {
            for (String key : ConfigParser.unknownKeys(EnvFile.read(file).keySet())) {
                log.warn("config: unknown key {} in {} is ignored", key, file);
            }
        } catch (IOException e) {
            log.warn("config: cannot read {} to check for unknown keys: {}", file, e.getMessage());
        }
    }

    /** The file holds the API token: anyone who can read it controls every VM. */
    static void warnIfReadableByOthers(Logger log, Path file) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn("config: {} is readable by other users ({}) and holds the API token; run: chmod 600 {}",
                        file, PosixFilePermissions.toString(p), file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not there (--config elsewhere) or not POSIX: nothing to say
        }
    }

    private static void sleepSeconds(int seconds) {
        try {
            Thread.sleep(seconds * 1000L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
