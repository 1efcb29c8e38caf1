package io.scalebox.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmSpecTest {
    private static VmSpec spec(List<String> dns) {
        return new VmSpec("vm-0123456789ab", "quiet-otter", Path.of("/d"), Path.of("/k"), Optional.empty(),
                Path.of("/d/rootfs.ext4"), "sbx0", "02:00:00:00:00:01", "172.16.0.5", "172.16.0.1", "255.255.0.0",
                dns, 1, 256);
    }

    @Test
    void bootArgsCarryAddressHostnameAndDns() {
        assertEquals("console=ttyS0 reboot=k panic=1 pci=off root=/dev/vda rw net.ifnames=0"
                + " systemd.hostname=quiet-otter"
                + " ip=172.16.0.5::172.16.0.1:255.255.0.0:quiet-otter:eth0:off:192.0.2.53:192.0.2.54",
                spec(List.of("192.0.2.53", "192.0.2.54")).bootArgs());
    }

    @Test
    void withoutDnsTheIpArgumentEndsAtAutoconf() {
        String args = spec(List.of()).bootArgs();
        assertEquals("ip=172.16.0.5::172.16.0.1:255.255.0.0:quiet-otter:eth0:off",
                args.substring(args.indexOf("ip=")));
    }

    @Test
    void aControlSocketThatIsALinkIsRefused(@TempDir Path dir) throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("qmp.sock"), Path.of("/run/systemd/private"));
        IOException e = assertThrows(IOException.class, () -> io.scalebox.host.ControlSocket.connect(link));
        assertEquals(link + " is a symbolic link, not the hypervisor's socket", e.getMessage());
    }

    @Test
    void anEarlierVersionsSocketIsUsedUntilTheControlDirectoryHasOne(@TempDir Path dir) throws IOException {
        assertEquals(dir.resolve("ctl/qmp.sock"), VmSpec.socket(dir, "qmp.sock"));
        Files.createFile(dir.resolve("qmp.sock"));
        assertEquals(dir.resolve("qmp.sock"), VmSpec.socket(dir, "qmp.sock"));
        Files.createDirectories(dir.resolve("ctl"));
        Files.createFile(dir.resolve("ctl/qmp.sock"));
        assertEquals(dir.resolve("ctl/qmp.sock"), VmSpec.socket(dir, "qmp.sock"));
    }
}
