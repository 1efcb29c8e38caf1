package io.scalebox.hypervisor;

import com.google.gson.JsonObject;
import io.scalebox.config.QemuAccel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * QEMU with the microvm machine: virtio-mmio disk, network (the VM's TAP) and RNG, serial
 * console to the VM's log, QMP on a Unix socket in the VM's directory.
 */
public final class QemuHypervisor implements Hypervisor {
    private static final String QMP = "qmp.sock";
    /** The host's end of the guest agent's virtio-serial port (org.qemu.guest_agent.0). */
    static final String AGENT = "qga.sock";
    private final Path binary;
    private final QemuAccel accel;
    private final ProcessLauncher launcher;
    private final long hostTscKhz;
    /** The state file in a saved VM's directory. */
    static final String STATE = "qemu.state";
    private volatile String format;

    public QemuHypervisor(Path binary, QemuAccel accel, ProcessLauncher launcher, long hostTscKhz) {
        this.binary = binary;
        this.accel = accel;
        this.launcher = launcher;
        this.hostTscKhz = hostTscKhz;
    }

    @Override
    public HypervisorKind kind() {
        return HypervisorKind.QEMU;
    }

    /** The host's TSC frequency in kHz ("cpu MHz" of /proc/cpuinfo), 0 when unknown. */
    public static long hostTscKhz(Path proc) {
        try {
            for (String line : Files.readAllLines(proc.resolve("cpuinfo"))) {
                if (line.startsWith("cpu MHz")) {
                    return Math.round(Double.parseDouble(line.substring(line.indexOf(':') + 1).strip()) * 1000);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no hint then
        }
        return 0;
    }

    static Path qmpSocket(VmSpec spec) {
        return qmpSocket(spec.dir());
    }

    private static Path qmpSocket(Path vmDir) {
        return VmSpec.socket(vmDir, QMP);
    }

    /** The ACPI power button (microvm exposes it through its generic event device). */
    static void pressPowerButton(Path vmDir) throws HypervisorException {
        qmp(qmpSocket(vmDir), "system_powerdown");
    }

    List<String> argv(VmSpec spec) {
        String append = spec.bootArgs();
        if (accel == QemuAccel.TCG && hostTscKhz > 0) {
            // Under emulation the microvm guest cannot calibrate its TSC without this hint.
            append += " tsc_early_khz=" + hostTscKhz + " tsc=reliable";
        }
        List<String> a = new ArrayList<>(List.of(binary.toString(),
                "-name", spec.id(), "-nodefaults", "-no-user-config", "-nographic",
                // QEMU's own seccomp filter on top of the unit's: no obsolete calls, no set*uid,
                // no fork/exec, no scheduler or affinity changes.
                "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
                "-M", "microvm", "-accel", accel.key()));
        if (accel == QemuAccel.KVM) {
            a.addAll(List.of("-cpu", "host"));
        } else {
            // QEMU 7.2's TCG mis-emulates CMPXCHG16B as Linux 6.12's SLUB uses it: guests hit random
            // double faults at boot (4 of 6 boots here; 0 of 10 without it). Without the flag the
            // kernel takes its locked path.
            a.addAll(List.of("-cpu", "qemu64,-cx16"));
        }
        a.addAll(List.of("-smp", String.valueOf(spec.vcpuCount()), "-m", spec.memSizeMib() + "M",
                "-kernel", spec.kernel().toString()));
        spec.initrd().ifPresent(i -> a.addAll(List.of("-initrd", i.toString())));
        a.addAll(List.of("-append", append,
                "-drive", "id=root,file=" + option(spec.disk()) + ",format=raw,if=none,cache=none,aio=threads",
                "-device", "virtio-blk-device,drive=root",
                "-netdev", "tap,id=net0,ifname=" + spec.tap() + ",script=no,downscript=no",
                "-device", "virtio-net-device,netdev=net0,mac=" + spec.mac(),
                "-device", "virtio-rng-device",
                // The guest agent's channel: a virtio-serial port the daemon reaches through a socket
                // in the control directory (no vhost-vsock needed; qemu-ga starts when the port appears).
                "-device", "virtio-serial-device",
                "-chardev", "socket,id=agent,path=" + option(VmSpec.controlDir(spec.dir()).resolve(AGENT))
                        + ",server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=org.qemu.guest_agent.0",
                // Appending, so that the daemon can cut the log down while QEMU writes (ConsoleLogs).
                "-chardev", "file,id=console,path=" + option(spec.consoleLog()) + ",append=on",
                "-serial", "chardev:console",
                "-qmp", "unix:" + option(VmSpec.controlDir(spec.dir()).resolve(QMP)) + ",server=on,wait=off"));
        return a;
    }

    /** A path inside a QEMU option list, where a comma is written twice. */
    static String option(Path p) {
        return p.toString().replace(",", ",,");
    }

    @Override
    public VmProcess start(VmSpec spec) throws HypervisorException {
        return launch(spec, argv(spec));
    }

    /** Starts QEMU; returns once QMP answers (a process that dies first takes its reason into the log). */
    private VmProcess launch(VmSpec spec, List<String> argv) throws HypervisorException {
        Path log = spec.dir().resolve("hypervisor.log");
        VmProcess p = launcher.start(spec, kind(), argv, log);
        for (int i = 0; i < 100; i++) {
            if (!p.exists()) {
                launcher.stop(p);
                throw new HypervisorException("qemu exited during start: " + ProcessLauncher.lastLine(log));
            }
            if (Files.exists(qmpSocket(spec))) {
                try (Qmp qmp = Qmp.connect(qmpSocket(spec))) {
                    qmp.execute("query-status");
                    return p;
                } catch (IOException e) {
                    // not listening yet
                }
            }
            ProcessLauncher.sleep(100);
        }
        launcher.stop(p);
        throw new HypervisorException("qemu did not open its control socket within 10 s: "
                + ProcessLauncher.lastLine(log));
    }

    @Override
    public long save(VmSpec spec, VmProcess process, Path dir) throws HypervisorException {
        try {
            long bytes = QemuMigration.save(qmpSocket(spec), VmSpec.controlDir(spec.dir()), dir.resolve(STATE),
                    (spec.memSizeMib() + 256L) << 20, migrationTime(spec));
            try (Qmp qmp = Qmp.connect(qmpSocket(spec))) {
                qmp.execute("quit");
            } catch (IOException e) {
                // it may close the socket before it answers
            }
            launcher.stop(process);
            return bytes;
        } catch (IOException e) {
            resumeQuietly(spec);
            throw new HypervisorException("saving the VM's state failed: " + e.getMessage(), e);
        }
    }

    @Override
    public VmProcess restore(VmSpec spec, Path dir) throws HypervisorException {
        return load(spec, dir, false);
    }

    /** The template's state into this VM's QEMU, whose link stays down until {@link #setLink}. */
    @Override
    public VmProcess restoreClone(VmSpec spec, Path dir) throws HypervisorException {
        return load(spec, dir, true);
    }

    @Override
    public void setLink(VmSpec spec, boolean up) throws HypervisorException {
        try (Qmp qmp = Qmp.connect(qmpSocket(spec))) {
            JsonObject link = new JsonObject();
            link.addProperty("name", "net0");
            link.addProperty("up", up);
            qmp.call("set_link", link);
        } catch (IOException e) {
            throw new HypervisorException("qemu set_link failed: " + e.getMessage(), e);
        }
    }

    private VmProcess load(VmSpec spec, Path dir, boolean linkDown) throws HypervisorException {
        List<String> argv = new ArrayList<>(argv(spec));
        argv.addAll(List.of("-incoming", "defer"));
        VmProcess p = launch(spec, argv);
        try {
            QemuMigration.load(qmpSocket(spec), VmSpec.controlDir(spec.dir()), dir.resolve(STATE), migrationTime(spec));
            if (linkDown) {
                // The link state came back with the device's: down before the guest runs a cycle.
                setLink(spec, false);
            }
            try (Qmp qmp = Qmp.connect(qmpSocket(spec))) {
                qmp.execute("cont");
            }
            return p;
        } catch (IOException e) {
            launcher.stop(p);
            throw new HypervisorException("loading the VM's state failed: " + e.getMessage()
                    + " (" + ProcessLauncher.lastLine(spec.dir().resolve("hypervisor.log")) + ")", e);
        }
    }

    /** A minute, and a second more for every 16 MiB of the guest's memory. */
    private static java.time.Duration migrationTime(VmSpec spec) {
        return java.time.Duration.ofSeconds(60 + spec.memSizeMib() / 16);
    }

    private void resumeQuietly(VmSpec spec) {
        try {
            resume(spec);
        } catch (HypervisorException e) {
            // reported by the caller's error; the VM stays as QEMU has it
        }
    }

    @Override
    public String stateFormat() {
        if (format == null) {
            String version;
            try {
                version = io.scalebox.host.Command.run(List.of(binary.toString(), "--version"),
                        java.time.Duration.ofSeconds(10)).lines().findFirst().orElse("").strip();
            } catch (io.scalebox.host.CommandException e) {
                version = binary + " (version unknown)";
            }
            format = version + "; microvm; " + accel.key() + "; " + (accel == QemuAccel.KVM ? "host" : "qemu64,-cx16");
        }
        return format;
    }

    @Override
    public io.scalebox.agent.AgentChannel agentChannel(Path vmDir) {
        return io.scalebox.agent.AgentChannel.qemu(VmSpec.controlDir(vmDir).resolve(AGENT));
    }

    @Override
    public void pause(VmSpec spec) throws HypervisorException {
        qmp(qmpSocket(spec), "stop");
    }

    @Override
    public void resume(VmSpec spec) throws HypervisorException {
        qmp(qmpSocket(spec), "cont");
    }

    private static void qmp(Path socket, String command) throws HypervisorException {
        try (Qmp qmp = Qmp.connect(socket)) {
            qmp.execute(command);
        } catch (IOException e) {
            throw new HypervisorException("qemu " + command + " failed: " + e.getMessage(), e);
        }
    }
}
