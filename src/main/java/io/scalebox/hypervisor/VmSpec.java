package io.scalebox.hypervisor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Everything a hypervisor needs to boot one VM. {@code dir} holds its sockets and console log. */
public record VmSpec(
        String id,
        String hostname,
        Path dir,
        Path kernel,
        Optional<Path> initrd,
        Path disk,
        String tap,
        String mac,
        String guestAddress,
        String gateway,
        String netmask,
        List<String> nameservers,
        int vcpuCount,
        int memSizeMib) {

    public VmSpec {
        nameservers = List.copyOf(nameservers);
    }

    /**
     * Kernel arguments common to both hypervisors. ip= is Firecracker's convention
     * ({@code addr::gateway:netmask:hostname:eth0:off:dns0:dns1}); the guest applies it
     * (the cloud kernel has no IP autoconfiguration). net.ifnames=0 keeps the name eth0.
     */
    public String bootArgs() {
        return "console=ttyS0 reboot=k panic=1 pci=off root=/dev/vda rw net.ifnames=0"
                + " systemd.hostname=" + hostname
                + " ip=" + guestAddress + "::" + gateway + ":" + netmask + ":" + hostname + ":eth0:off"
                + nameservers.stream().map(ns -> ":" + ns).reduce("", String::concat);
    }

    /** The serial console's log in a VM's directory (capped by the daemon). */
    public static final String CONSOLE_LOG = "console.log";

    public Path consoleLog() {
        return dir.resolve(CONSOLE_LOG);
    }

    /** The hypervisor's control sockets, in the VM's control directory. */
    static final List<String> SOCKETS = List.of("qmp.sock", "firecracker.sock", "qga.sock", "vsock.sock");

    /**
     * Where the hypervisor makes its control socket: a directory of the account's own, as the
     * VM's directory is root's (so that vm.json cannot be replaced from the hypervisor).
     */
    static Path controlDir(Path vmDir) {
        return vmDir.resolve("ctl");
    }

    /** A control socket; a VM started before the control directory existed has it in its directory. */
    static Path socket(Path vmDir, String name) {
        Path current = controlDir(vmDir).resolve(name);
        Path earlier = vmDir.resolve(name);
        return !Files.exists(current) && Files.exists(earlier) ? earlier : current;
    }

    /** Kernel and initrd: what the hypervisor reads besides the VM's directory. */
    List<Path> bootFiles() {
        List<Path> files = new java.util.ArrayList<>(List.of(kernel));
        initrd.ifPresent(files::add);
        return files;
    }
}
