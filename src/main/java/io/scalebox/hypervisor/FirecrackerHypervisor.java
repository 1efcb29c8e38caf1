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

    @Override
    public VmProcess start(VmSpec spec) throws HypervisorException {
        // The launcher removes a stale socket before it starts the process.
        Path sock;
        VmProcess process;
        String kernel = spec.kernel().toString();
        Optional<String> initrd = spec.initrd().map(Path::toString);
        String disk = spec.disk().toString();
        if (jailer.isPresent()) {
            Jailer j = jailer.get();
            try {
                j.prepare(spec);
            } catch (IOException e) {
                throw new HypervisorException("cannot prepare the jail: " + e.getMessage(), e);
            }
            sock = j.root(spec).resolve(Jailer.socketInJail(spec.id()).substring(1));
            // Inside the jail the files have the names the jail gave them.
            kernel = Jailer.KERNEL;
            initrd = initrd.map(i -> Jailer.INITRD);
            disk = Jailer.DISK;
            process = launcher.startJailer(spec, j.argv(spec), j.identity(spec), spec.consoleLog());
        } else {
            sock = VmSpec.controlDir(spec.dir()).resolve(API_SOCKET);
            // The guest's serial console is Firecracker's stdout: it goes to the VM's console log.
            process = launcher.start(spec, kind(),
                    List.of(binary.toString(), "--api-sock", sock.toString(), "--id", spec.id()), spec.consoleLog());
        }
        try {
            awaitSocket(process, sock, spec.consoleLog());
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
            vsock.addProperty("uds_path", jailer.isPresent() ? "/" + VSOCK_SOCKET
                    : VmSpec.controlDir(spec.dir()).resolve(VSOCK_SOCKET).toString());
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
