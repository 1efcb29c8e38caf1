package io.scalebox.hypervisor;

import com.google.gson.JsonObject;
import io.scalebox.host.Account;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Firecracker: one process per VM started with {@code --api-sock}, then configured through
 * its API (machine, boot source, root drive, network, entropy) and started. Any answer but
 * 2xx aborts the start with Firecracker's fault message and ends the process. Under its
 * {@link Jailer} when that is installed beside the binary, else as the account in the
 * launcher's sandbox.
 */
public final class FirecrackerHypervisor implements Hypervisor {
    private static final String API_SOCKET = "firecracker.sock";
    /** The host side of the guest's vsock (Firecracker's hybrid vsock socket). */
    static final String VSOCK_SOCKET = "vsock.sock";
    /** The guest's vsock port its agent listens on (qemu-ga --method=vsock-listen). */
    public static final int AGENT_PORT = 1024;
    private final Path binary;
    private final Optional<Jailer> jailer;
    private final ProcessLauncher launcher;
    private volatile String format;

    FirecrackerHypervisor(Path binary, Optional<Jailer> jailer, ProcessLauncher launcher) {
        this.binary = binary;
        this.jailer = jailer;
        this.launcher = launcher;
    }

    /** Firecracker at {@code binary}, jailed when the jailer is installed beside it. */
    public static FirecrackerHypervisor at(Path binary, Account account, ProcessLauncher launcher)
            throws IOException {
        return new FirecrackerHypervisor(binary, Jailer.beside(binary, account), launcher);
    }

    /** Whether VMs start under the jailer (reported at start-up). */
    public boolean jailed() {
        return jailer.isPresent();
    }

    @Override
    public HypervisorKind kind() {
        return HypervisorKind.FIRECRACKER;
    }

    static Path apiSocket(VmSpec spec) {
        return apiSocket(spec.dir());
    }

    private static Path apiSocket(Path vmDir) {
        return Jailer.hostSocket(vmDir).orElseGet(() -> VmSpec.socket(vmDir, API_SOCKET));
    }

    /** Firecracker's only power-off request: an i8042 Ctrl-Alt-Del for the guest to act on. */
    static void sendCtrlAltDel(Path vmDir) throws HypervisorException {
        JsonObject action = new JsonObject();
        action.addProperty("action_type", "SendCtrlAltDel");
        new FirecrackerClient(apiSocket(vmDir)).send("PUT", "/actions", action);
    }

    /** A Firecracker process waiting for its first API request, and the names of the VM's files as it sees them. */
    private record Launched(VmProcess process, Path socket, Path files, boolean jailed, String kernel,
                            Optional<String> initrd, String disk) {
        /** A file of the VM's control directory (or jail) as Firecracker names it. */
        String name(String file) {
            return jailed ? "/" + file : files.resolve(file).toString();
        }
    }

    private Launched launch(VmSpec spec) throws HypervisorException {
        // The launcher removes a stale socket before it starts the process.
        Optional<String> initrd = spec.initrd().map(Path::toString);
        Launched l;
        if (jailer.isPresent()) {
            Jailer j = jailer.get();
            try {
                j.prepare(spec);
            } catch (IOException e) {
                throw new HypervisorException("cannot prepare the jail: " + e.getMessage(), e);
            }
            Path root = j.root(spec);
            // Inside the jail the files have the names the jail gave them.
            l = new Launched(launcher.startJailer(spec, j.argv(spec), j.identity(spec), spec.consoleLog()),
                    root.resolve(Jailer.socketInJail(spec.id()).substring(1)), root, true, Jailer.KERNEL,
                    initrd.map(i -> Jailer.INITRD), Jailer.DISK);
        } else {
            Path ctl = VmSpec.controlDir(spec.dir());
            Path sock = ctl.resolve(API_SOCKET);
            // The guest's serial console is Firecracker's stdout: it goes to the VM's console log.
            l = new Launched(launcher.start(spec, kind(),
                    List.of(binary.toString(), "--api-sock", sock.toString(), "--id", spec.id()), spec.consoleLog()),
                    sock, ctl, false, spec.kernel().toString(), initrd, spec.disk().toString());
        }
        try {
            awaitSocket(l.process(), l.socket(), spec.consoleLog());
            return l;
        } catch (HypervisorException e) {
            launcher.stop(l.process());
            throw e;
        }
    }

    @Override
    public VmProcess start(VmSpec spec) throws HypervisorException {
        Launched l = launch(spec);
        VmProcess process = l.process();
        Path sock = l.socket();
        String kernel = l.kernel();
        Optional<String> initrd = l.initrd();
        String disk = l.disk();
        try {
            FirecrackerClient api = new FirecrackerClient(sock);
            JsonObject machine = new JsonObject();
            machine.addProperty("vcpu_count", spec.vcpuCount());
            machine.addProperty("mem_size_mib", spec.memSizeMib());
            api.send("PUT", "/machine-config", machine);

            JsonObject boot = new JsonObject();
            boot.addProperty("kernel_image_path", kernel);
            boot.addProperty("boot_args", spec.bootArgs());
            initrd.ifPresent(i -> boot.addProperty("initrd_path", i));
            api.send("PUT", "/boot-source", boot);

            JsonObject drive = new JsonObject();
            drive.addProperty("drive_id", "rootfs");
            drive.addProperty("path_on_host", disk);
            drive.addProperty("is_root_device", true);
            drive.addProperty("is_read_only", false);
            api.send("PUT", "/drives/rootfs", drive);

            JsonObject net = new JsonObject();
            net.addProperty("iface_id", "eth0");
            net.addProperty("host_dev_name", spec.tap());
            net.addProperty("guest_mac", spec.mac());
            api.send("PUT", "/network-interfaces/eth0", net);

            // virtio-rng: sshd in the guest must not wait for entropy.
            api.send("PUT", "/entropy", new JsonObject());

            // The guest agent's channel: vsock, whose host side is a Unix socket beside the API's.
            JsonObject vsock = new JsonObject();
            vsock.addProperty("guest_cid", 3);
            vsock.addProperty("uds_path", l.name(VSOCK_SOCKET));
            api.send("PUT", "/vsock", vsock);

            JsonObject action = new JsonObject();
            action.addProperty("action_type", "InstanceStart");
            api.send("PUT", "/actions", action);
            return process;
        } catch (HypervisorException e) {
            launcher.stop(process);
            throw e;
        }
    }

    private void awaitSocket(VmProcess process, Path sock, Path console) throws HypervisorException {
        for (int i = 0; i < 100; i++) {
            if (!process.exists()) {
                throw new HypervisorException("firecracker exited during start: "
                        + ProcessLauncher.lastLine(console));
            }
            if (Files.exists(sock)) {
                try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                    return;
                } catch (IOException e) {
                    // not accepting yet
                }
            }
            ProcessLauncher.sleep(50);
        }
        throw new HypervisorException("firecracker did not open its API socket within 5 s");
    }

    /**
     * Paused, then {@code PUT /snapshot/create} (a full snapshot) into the control directory or
     * jail; the daemon then takes the two files into {@code dir}, as its own (see {@link FirecrackerState}).
     */
    @Override
    public long save(VmSpec spec, VmProcess process, Path dir) throws HypervisorException {
        Path files = jailer.map(j -> j.root(spec)).orElseGet(() -> VmSpec.controlDir(spec.dir()));
        Launched names = new Launched(process, apiSocket(spec), files, jailer.isPresent(), "", Optional.empty(), "");
        pause(spec);
        JsonObject create = new JsonObject();
        create.addProperty("snapshot_type", "Full");
        create.addProperty("snapshot_path", names.name(FirecrackerState.VMSTATE));
        create.addProperty("mem_file_path", names.name(FirecrackerState.MEMORY));
        try {
            new FirecrackerClient(apiSocket(spec)).send("PUT", "/snapshot/create", create);
        } catch (HypervisorException e) {
            resume(spec);
            throw e;
        }
        launcher.stop(process);
        try {
            return FirecrackerState.take(files, dir, (spec.memSizeMib() + 256L) << 20);
        } catch (IOException e) {
            throw new HypervisorException("taking the snapshot's files failed: " + e.getMessage(), e);
        }
    }

    /** A new process, the files lent to it read-only, and {@code PUT /snapshot/load} as its first request. */
    @Override
    public VmProcess restore(VmSpec spec, Path dir) throws HypervisorException {
        return load(spec, dir, false);
    }

    /**
     * A clone needs its disk where the builder's was: inside a jail every VM's disk is
     * {@code /rootfs.ext4}, outside one the snapshot names the builder's own file. Its TAP is
     * named by {@code network_overrides} (Firecracker 1.12); the vsock keeps the jail's path.
     */
    @Override
    public VmProcess restoreClone(VmSpec spec, Path dir) throws HypervisorException {
        if (jailer.isEmpty()) {
            throw new HypervisorException("warm clones need Firecracker's jailer (a snapshot names its disk by path)");
        }
        return load(spec, dir, true);
    }

    /**
     * Firecracker has no link control: a clone's frames reach nothing until its own rules are
     * made (a TAP of no VM drops all), and then only with its own MAC and address.
     */
    @Override
    public void setLink(VmSpec spec, boolean up) {
        // nothing to do
    }

    private VmProcess load(VmSpec spec, Path dir, boolean clone) throws HypervisorException {
        Launched l = launch(spec);
        try {
            FirecrackerState.lend(dir, l.files());
            // Firecracker makes the vsock's socket again where the snapshot says.
            Files.deleteIfExists(l.files().resolve(VSOCK_SOCKET));
            JsonObject memory = new JsonObject();
            memory.addProperty("backend_type", "File");
            memory.addProperty("backend_path", l.name(FirecrackerState.MEMORY));
            JsonObject load = new JsonObject();
            load.addProperty("snapshot_path", l.name(FirecrackerState.VMSTATE));
            load.add("mem_backend", memory);
            load.addProperty("resume_vm", true);
            if (clone) {
                JsonObject tap = new JsonObject();
                tap.addProperty("iface_id", "eth0");
                tap.addProperty("host_dev_name", spec.tap());
                com.google.gson.JsonArray overrides = new com.google.gson.JsonArray();
                overrides.add(tap);
                load.add("network_overrides", overrides);
            }
            new FirecrackerClient(l.socket()).send("PUT", "/snapshot/load", load);
            // Loaded: the memory is mapped (private, copy on write), the state read; the links can go.
            FirecrackerState.unlend(l.files());
            return l.process();
        } catch (IOException | HypervisorException e) {
            launcher.stop(l.process());
            throw e instanceof HypervisorException h ? h
                    : new HypervisorException("lending the snapshot's files failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String stateFormat() {
        if (format == null) {
            try {
                format = io.scalebox.host.Command.run(List.of(binary.toString(), "--version"),
                        java.time.Duration.ofSeconds(10)).lines().findFirst().orElse("").strip();
            } catch (io.scalebox.host.CommandException e) {
                format = binary + " (version unknown)";
            }
        }
        return format;
    }

    @Override
    public io.scalebox.agent.AgentChannel agentChannel(Path vmDir) {
        Path socket = Jailer.hostSocket(vmDir).map(api -> api.resolveSibling(VSOCK_SOCKET))
                .orElseGet(() -> VmSpec.controlDir(vmDir).resolve(VSOCK_SOCKET));
        return io.scalebox.agent.AgentChannel.firecrackerVsock(socket, AGENT_PORT);
    }

    @Override
    public void pause(VmSpec spec) throws HypervisorException {
        state(spec, "Paused");
    }

    @Override
    public void resume(VmSpec spec) throws HypervisorException {
        state(spec, "Resumed");
    }

    private static void state(VmSpec spec, String state) throws HypervisorException {
        JsonObject body = new JsonObject();
        body.addProperty("state", state);
        new FirecrackerClient(apiSocket(spec)).send("PATCH", "/vm", body);
    }
}
