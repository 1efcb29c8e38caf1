package io.scalebox.hypervisor;

import java.nio.file.Path;
import java.util.Optional;

/** Everything a hypervisor needs to boot one VM. {@code dir} holds its sockets and console log. */
public record VmSpec(
        String id,
        Path dir,
        Path kernel,
        Optional<Path> initrd,
        Path disk,
        String tap,
        String mac,
        String guestAddress,
        String gateway,
        String netmask,
        int vcpuCount,
        int memSizeMib) {

    /** Kernel arguments common to both hypervisors; ip= is Firecracker's convention. */
    public String bootArgs() {
        return "console=ttyS0 reboot=k panic=1 pci=off root=/dev/vda rw"
                + " ip=" + guestAddress + "::" + gateway + ":" + netmask + "::eth0:off";
    }

    public Path consoleLog() {
        return dir.resolve("console.log");
    }
}
