package io.scalebox.forwarder;

import io.scalebox.host.Account;
import io.scalebox.host.ChildEnvironment;
import io.scalebox.host.Command;
import io.scalebox.host.CommandException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a forwarder so that it outlives the daemon: a transient unit
 * {@code scalebox-forwarder-<generation>} in {@code scalebox.slice} where systemd runs (stopped
 * with the VMs when the package is removed), else a process in a session of its own. Either
 * way as the account {@code scalebox-net}, without capabilities: it faces the internet, and
 * holds nothing but sockets. Under systemd the unit also takes the file system away but for
 * its control directory, and every address family but Unix and IP.
 */
final class ForwarderProcess implements ForwarderStarter {
    static final String UNIT_PREFIX = "scalebox-forwarder-";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final boolean systemd;
    private final Account account;
    private final Path launcher;
    private final Path dir;
    /** The processes this daemon started without systemd, by generation. */
    private final java.util.Map<String, Process> started = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param launcher the {@code scaleboxd} launcher ({@code scaleboxd --forwarder SOCKET})
     * @param dir the control directory: the account's, the only place it may write
     */
    ForwarderProcess(boolean systemd, Account account, Path launcher, Path dir) {
        this.systemd = systemd;
        this.account = account;
        this.launcher = launcher;
        this.dir = dir;
    }

    /** Starts generation {@code generation}, its control socket {@code dir/<generation>.sock}. */
    @Override
    public void start(String generation) throws IOException {
        List<String> command = List.of(launcher.toString(), "--forwarder", socket(generation).toString());
        if (systemd) {
            List<String> run = new ArrayList<>(List.of("systemd-run", "--quiet", "--collect",
                    "--unit=" + UNIT_PREFIX + generation + ".service", "--slice=scalebox.slice"));
            sandbox().forEach(p -> run.add("--property=" + p));
            run.add("--");
            run.addAll(command);
            try {
                Command.run(run, TIMEOUT);
            } catch (CommandException e) {
                throw new IOException(e.getMessage(), e);
            }
            return;
        }
        List<String> detached = new ArrayList<>(List.of("setsid", "setpriv", "--reuid=" + account.name(),
                "--regid=" + account.name(), "--init-groups", "--inh-caps=-all", "--bounding-set=-all",
                "--no-new-privs", "--"));
        detached.addAll(command);
        Path log = dir.resolve(generation + ".log");
        ProcessBuilder builder = new ProcessBuilder(detached);
        ChildEnvironment.applyTo(builder.environment());
        started.put(generation, builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start());
    }

    @Override
    public boolean running(String generation) {
        if (!systemd) {
            Process p = started.get(generation);
            return p == null || p.isAlive(); // one of an earlier daemon: its socket tells
        }
        try {
            String state = Command.run(List.of("systemctl", "show", "-p", "ActiveState", "--value",
                    UNIT_PREFIX + generation + ".service"), TIMEOUT).strip();
            return state.equals("active") || state.equals("activating");
        } catch (CommandException e) {
            return false;
        }
    }

    @Override
    public Path socket(String generation) {
        return dir.resolve(generation + ".sock");
    }

    @Override
    public void end(String generation) {
        if (systemd) {
            try {
                Command.run(List.of("systemctl", "kill", "--signal=SIGKILL", UNIT_PREFIX + generation + ".service"),
                        TIMEOUT);
            } catch (CommandException e) {
                // not running
            }
        }
        try {
            Files.deleteIfExists(socket(generation));
        } catch (IOException e) {
            // gone with it
        }
    }

    List<String> sandbox() {
        return List.of("User=" + account.name(), "Group=" + account.name(), "SyslogIdentifier=scalebox-forwarder",
                "LimitNOFILE=1048576", "UMask=0077",
                "NoNewPrivileges=yes", "CapabilityBoundingSet=", "AmbientCapabilities=",
                "ProtectSystem=strict", "ReadWritePaths=" + dir, "ProtectHome=yes", "PrivateTmp=yes",
                "PrivateDevices=yes", "PrivateIPC=yes", "ProtectKernelTunables=yes", "ProtectKernelModules=yes",
                "ProtectKernelLogs=yes", "ProtectControlGroups=yes", "ProtectClock=yes", "ProtectHostname=yes",
                "ProtectProc=invisible", "ProcSubset=pid", "RestrictNamespaces=yes", "RestrictRealtime=yes",
                "RestrictSUIDSGID=yes", "LockPersonality=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                "SystemCallArchitectures=native", "SystemCallFilter=@system-service",
                "SystemCallFilter=~@privileged @resources", "SystemCallErrorNumber=EPERM");
    }
}
