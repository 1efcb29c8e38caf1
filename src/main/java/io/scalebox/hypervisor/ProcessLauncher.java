package io.scalebox.hypervisor;

import io.scalebox.host.Account;
import io.scalebox.host.ChildEnvironment;
import io.scalebox.host.Command;
import io.scalebox.host.CommandException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts hypervisor processes so that they outlive the daemon: as a transient systemd unit
 * {@code scalebox-vm-<id>} in {@code scalebox.slice} when systemd is PID 1, otherwise as a
 * detached process in a session of its own. Either way the hypervisor runs as the unprivileged
 * {@link Account}, without capabilities; the unit adds a sandbox ({@link #sandboxProperties})
 * in which the VM's directory is the only writable place. The unit stops cleanly by itself:
 * when systemd stops it (host shutdown, package removal) its ExecStop helper asks the guest to
 * power off and waits up to the stop timeout before systemd forces it.
 */
public final class ProcessLauncher implements VmProcesses {
    public static final String UNIT_PREFIX = "scalebox-vm-";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** After the helper's wait: its own start-up, then systemd's SIGTERM and SIGKILL. */
    private static final Duration STOP_MARGIN = Duration.ofSeconds(15);
    private static final Path SYSTEMD_CAT = Path.of("/usr/bin/systemd-cat");
    private final boolean systemd;
    private final Account account;
    private final Path dataDir;
    private final Path stopHelper;
    private final Duration stopTimeout;
    private final GuestShutdown shutdown;

    /**
     * @param stopHelper the {@code scaleboxd} launcher, run as {@code scaleboxd --stop-vm} by units
     * @param stopTimeout how long a guest gets to power off (VM_STOP_TIMEOUT)
     * @param dataDir DATA_DIR, hidden from a VM's unit except for the VM's own directory
     */
    public ProcessLauncher(boolean systemd, Account account, Path dataDir, Path stopHelper, Duration stopTimeout,
                           GuestShutdown shutdown) {
        this.systemd = systemd;
        this.account = account;
        this.dataDir = dataDir;
        this.stopHelper = stopHelper;
        this.stopTimeout = stopTimeout;
        this.shutdown = shutdown;
    }

    /** systemd is PID 1 (sd_booted's test) and systemd-run is there. */
    public static boolean systemdRuns() {
        return Files.isDirectory(Path.of("/run/systemd/system")) && Files.isExecutable(Path.of("/usr/bin/systemd-run"));
    }

    /**
     * A clean stop: asks the guest to power off, waits up to the stop timeout for the process to
     * exit, then forces what is left ({@link #stop}). The unit's own ExecStop finds the process
     * gone and does nothing.
     */
    @Override
    public GuestShutdown.Outcome powerOff(VmProcess process, GuestShutdown.Request request) {
        GuestShutdown.Outcome outcome = shutdown.attempt(request, process::alive, stopTimeout);
        stop(process);
        return outcome;
    }

    /** Starts argv for the VM of {@code spec} as the account; stdout and stderr go to {@code log}. */
    public VmProcess start(VmSpec spec, HypervisorKind kind, List<String> argv, Path log)
            throws HypervisorException {
        return launch(spec, kind, argv, argv, log, false);
    }

    /**
     * Starts Firecracker's jailer for the VM as root (it needs to chroot, make device nodes and
     * drop to the account itself), in a unit that keeps only the capabilities it needs.
     * {@code identity}: how the jailed process's command line ends.
     */
    VmProcess startJailer(VmSpec spec, List<String> argv, List<String> identity, Path log)
            throws HypervisorException {
        return launch(spec, HypervisorKind.FIRECRACKER, argv, identity, log, true);
    }

    private VmProcess launch(VmSpec spec, HypervisorKind kind, List<String> argv, List<String> identity, Path log,
                             boolean jailer) throws HypervisorException {
        String cmdline = VmProcess.cmdlineOf(identity);
        try {
            prepare(spec);
            if (systemd) {
                String unit = UNIT_PREFIX + spec.id() + ".service";
                List<String> run = new ArrayList<>(List.of("systemd-run", "--quiet", "--collect",
                        "--unit=" + unit, "--slice=scalebox.slice",
                        "--property=MemoryMax=" + (spec.memSizeMib() + 256) + "M",
                        "--property=CPUQuota=" + (spec.vcpuCount() * 100) + "%",
                        "--property=StandardOutput=append:" + log,
                        "--property=StandardError=append:" + log,
                        // What the hypervisor writes (console, sockets) is the VM's own.
                        "--property=UMask=0077"));
                (jailer ? jailerProperties(spec) : sandboxProperties(spec)).forEach(p -> run.add("--property=" + p));
                run.addAll(stopProperties(spec, kind));
                run.add("--");
                run.addAll(argv);
                Command.run(run, TIMEOUT);
                String pid = Command.run(List.of("systemctl", "show", "-p", "MainPID", "--value", unit), TIMEOUT)
                        .strip();
                if (pid.isEmpty() || pid.equals("0")) {
                    throw new HypervisorException(argv.get(0) + " exited at once; see " + log);
                }
                return new VmProcess(Long.parseLong(pid), Optional.of(unit), cmdline);
            }
            List<String> detached = new ArrayList<>(List.of("setsid"));
            if (!jailer) {
                detached.addAll(dropPrivileges());
            }
            detached.addAll(argv);
            ProcessBuilder builder = new ProcessBuilder(detached);
            ChildEnvironment.applyTo(builder.environment());
            Process p = builder
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            // setsid's and setpriv's command lines already end with argv's arguments, so liveness
            // (VmProcess.alive) holds before and after they exec the hypervisor.
            return new VmProcess(p.pid(), Optional.empty(), cmdline);
        } catch (CommandException | IOException | NumberFormatException e) {
            throw new HypervisorException("cannot start " + argv.get(0) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Hands the VM's files to the account: its directory traversable (root's, so vm.json stays
     * out of reach), its disk and console log its own, and a fresh control directory of its own
     * for the sockets. Sockets left by an earlier start, or by a version that kept them in the
     * VM's directory, go.
     */
    void prepare(VmSpec spec) throws IOException {
        account.shareDirectory(spec.dir());
        if (Files.exists(spec.disk(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            account.own(spec.disk()); // missing: the hypervisor says so
        }
        if (!Files.exists(spec.consoleLog(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createFile(spec.consoleLog());
        }
        account.own(spec.consoleLog());
        Path control = VmSpec.controlDir(spec.dir());
        if (!Files.isDirectory(control, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(control);
            Files.createDirectory(control);
        }
        account.own(control);
        for (String socket : VmSpec.SOCKETS) {
            Files.deleteIfExists(control.resolve(socket));
            Files.deleteIfExists(spec.dir().resolve(socket));
        }
    }

    /** Without systemd: the account's uid, gid and groups, no capabilities, no way back (setpriv from util-linux). */
    List<String> dropPrivileges() {
        return List.of("setpriv", "--reuid=" + account.name(), "--regid=" + account.name(), "--init-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--");
    }

    /**
     * The VM unit's sandbox. The hypervisor needs its directory (disk, console, sockets), the
     * kernel and initrd, /dev/kvm and /dev/net/tun, and Unix sockets (QMP, Firecracker's API;
     * the TAP is opened through /dev/net/tun); everything else is taken away. The rest of
     * DATA_DIR (other VMs' disks, templates, vm.json) is replaced by an empty read-only tree.
     * Not set: MemoryDenyWriteExecute (TCG generates code, and the ExecStop helper is a JVM),
     * PrivateDevices and PrivateNetwork (the devices and the TAP live on the host).
     */
    List<String> sandboxProperties(VmSpec spec) {
        List<String> p = new ArrayList<>(List.of(
                "User=" + account.name(), "Group=" + account.name(),
                "NoNewPrivileges=yes", "CapabilityBoundingSet=", "AmbientCapabilities=",
                "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateIPC=yes", "RemoveIPC=yes",
                "TemporaryFileSystem=" + dataDir + ":ro", "BindPaths=" + spec.dir()));
        for (Path file : spec.bootFiles()) {
            if (file.startsWith(dataDir)) {
                p.add("BindReadOnlyPaths=" + file);
            }
        }
        p.addAll(List.of(
                "DevicePolicy=closed", "DeviceAllow=/dev/kvm rw", "DeviceAllow=/dev/net/tun rw",
                "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes",
                "ProtectControlGroups=yes", "ProtectClock=yes", "ProtectHostname=yes",
                "ProtectProc=invisible", "ProcSubset=pid",
                "RestrictNamespaces=yes", "RestrictRealtime=yes", "RestrictSUIDSGID=yes", "LockPersonality=yes",
                "RestrictAddressFamilies=AF_UNIX", "IPAddressDeny=any",
                // seccomp(2) (in no group): QEMU offers -sandbox only where it can add its own filter.
                "SystemCallArchitectures=native", "SystemCallFilter=@system-service seccomp",
                "SystemCallFilter=~@privileged @resources", "SystemCallErrorNumber=EPERM"));
        return p;
    }

    /** The jailer's unit: root, but only the capabilities the jailer's documented steps use. */
    List<String> jailerProperties(VmSpec spec) {
        return List.of("NoNewPrivileges=yes",
                "CapabilityBoundingSet=CAP_SYS_ADMIN CAP_SYS_CHROOT CAP_MKNOD CAP_CHOWN CAP_FOWNER CAP_DAC_OVERRIDE"
                        + " CAP_SETUID CAP_SETGID CAP_SYS_RESOURCE",
                "ProtectSystem=strict", "ReadWritePaths=" + spec.dir(), "ProtectHome=yes", "PrivateTmp=yes",
                "DevicePolicy=closed", "DeviceAllow=/dev/kvm rw", "DeviceAllow=/dev/net/tun rw",
                "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes", "ProtectClock=yes",
                "ProtectHostname=yes", "RestrictNamespaces=mnt pid", "RestrictRealtime=yes", "LockPersonality=yes",
                "RestrictAddressFamilies=AF_UNIX", "IPAddressDeny=any", "SystemCallArchitectures=native");
    }

    /**
     * The unit's clean stop: ExecStop asks the guest and waits (its line goes to the journal as
     * scaleboxd's), TimeoutStopSec bounds it, and the ordering after network and remote
     * filesystems makes systemd stop VMs before those at shutdown.
     */
    List<String> stopProperties(VmSpec spec, HypervisorKind kind) {
        List<String> helper = List.of(SYSTEMD_CAT.toString(), "--identifier=scaleboxd", stopHelper.toString(),
                "--stop-vm", "--hypervisor", kind.key(), "--timeout", String.valueOf(stopTimeout.toSeconds()),
                spec.dir().toString());
        return List.of(
                "--property=ExecStop=" + String.join(" ", helper.stream().map(ProcessLauncher::unitWord).toList()),
                "--property=TimeoutStopSec=" + stopTimeout.plus(STOP_MARGIN).toSeconds(),
                "--property=After=network.target",
                "--property=After=remote-fs.target");
    }

    /** One argument of a unit command line: quoted, with systemd's escapes for \ " and $. */
    static String unitWord(String arg) {
        return "\"" + arg.replace("\\", "\\\\").replace("\"", "\\\"").replace("$", "$$") + "\"";
    }

    @Override
    public boolean stopsCleanly(String unit) {
        try {
            return Command.run(List.of("systemctl", "show", "-p", "ExecStop", "--value", unit), TIMEOUT)
                    .contains("--stop-vm");
        } catch (CommandException e) {
            return true; // cannot tell; nothing to warn about
        }
    }

    @Override
    public boolean hostStopping() {
        if (!systemd) {
            return false;
        }
        try {
            // Prints the state whatever it is; exits 0 only for "running".
            return Command.run(List.of("systemctl", "is-system-running"), null, TIMEOUT, 0, 1).strip()
                    .equals("stopping");
        } catch (CommandException e) {
            return false;
        }
    }

    @Override
    public List<String> units() throws CommandException {
        List<String> out = new ArrayList<>();
        if (!systemd) {
            return out;
        }
        String listing = Command.run(List.of("systemctl", "list-units", "--all", "--plain", "--no-legend",
                UNIT_PREFIX + "*.service"), TIMEOUT);
        for (String line : listing.split("\n")) {
            String unit = line.strip().split("\\s+")[0];
            if (unit.startsWith(UNIT_PREFIX)) {
                out.add(unit);
            }
        }
        return out;
    }

    /**
     * Ends a unit at once: SIGKILL to all its processes, then a stop for the rest. (A plain
     * stop would run its ExecStop helper, which asks the guest and waits.)
     */
    @Override
    public void stopUnit(String unit) {
        try {
            Command.run(List.of("systemctl", "kill", "--signal=SIGKILL", unit), TIMEOUT);
        } catch (CommandException e) {
            // not running
        }
        try {
            Command.run(List.of("systemctl", "stop", unit), TIMEOUT);
        } catch (CommandException e) {
            // already gone
        }
    }

    /**
     * Forces the process off (its unit, if any) and waits for it: for the guest a power cut, so
     * used after {@link GuestShutdown} or where the disk is deleted. A recycled PID is never
     * signalled.
     */
    @Override
    public void stop(VmProcess process) {
        process.unit().ifPresent(this::stopUnit);
        if (!process.alive()) {
            return;
        }
        ProcessHandle.of(process.pid()).ifPresent(h -> {
            h.destroy();
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                if (process.alive()) {
                    h.destroyForcibly();
                }
            }
        });
        for (int i = 0; i < 50 && process.alive(); i++) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public boolean alive(VmProcess process) {
        return process.alive();
    }

    @Override
    public Map<Long, String> hypervisorsUnder(Path vmsDir, Set<Path> binaries) {
        Set<String> commands = new HashSet<>();
        binaries.forEach(b -> commands.add(realPath(b)));
        // An argument names a VM when it holds "<vmsDir>/vm-<12 hex>" followed by "/" or its end,
        // e.g. QEMU's "id=root,file=/var/lib/scalebox/vms/vm-…/rootfs.ext4,…".
        Pattern vmDir = Pattern.compile(Pattern.quote(vmsDir.toString() + "/") + "(vm-[0-9a-f]{12})(?:/|$|,)");
        Map<Long, String> found = new HashMap<>();
        ProcessHandle.allProcesses()
                .filter(h -> h.info().command().map(commands::contains).orElse(false))
                .forEach(h -> h.info().arguments().ifPresent(args -> {
                    for (String a : args) {
                        Matcher m = vmDir.matcher(a);
                        if (m.find()) {
                            found.put(h.pid(), m.group(1));
                            return;
                        }
                    }
                }));
        return found;
    }

    @Override
    public void end(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    }

    private static String realPath(Path p) {
        try {
            return p.toRealPath().toString();
        } catch (IOException e) {
            return p.toString();
        }
    }

    /** The last non-blank line a launched process wrote to its log: its reason for failing. */
    static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (!lines.get(i).isBlank()) {
                    return lines.get(i).strip();
                }
            }
        } catch (IOException e) {
            // no log
        }
        return "(no output)";
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
