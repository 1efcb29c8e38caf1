package io.scalebox.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The properties that confine a VM unit and make it stop cleanly when systemd stops it. */
class ProcessLauncherTest {
    private static VmSpec spec(Path dir) {
        return new VmSpec("vm-0123456789ab", "quiet-otter", dir, Path.of("/k"), Optional.empty(),
                dir.resolve("rootfs.ext4"), "sbx0", "02:00:00:00:00:01", "172.16.0.5", "172.16.0.1", "255.255.0.0",
                List.of(), 1, 256);
    }

    @Test
    void unitAsksTheGuestAndWaitsBeforeSystemdForcesIt() {
        ProcessLauncher launcher = new ProcessLauncher(true, TestAccount.current(), Path.of("/var/lib/scalebox"), Path.of("/usr/sbin/scaleboxd"), Duration.ofSeconds(30),
                GuestShutdown.system());
        List<String> props = launcher.stopProperties(spec(Path.of("/var/lib/scalebox/vms/vm-0123456789ab")),
                HypervisorKind.QEMU);
        assertEquals("--property=ExecStop=\"/usr/bin/systemd-cat\" \"--identifier=scaleboxd\" "
                + "\"/usr/sbin/scaleboxd\" \"--stop-vm\" \"--hypervisor\" \"qemu\" \"--timeout\" \"30\" "
                + "\"/var/lib/scalebox/vms/vm-0123456789ab\"", props.get(0));
        // The helper's wait plus time for its start and for systemd's SIGTERM/SIGKILL.
        assertTrue(props.contains("--property=TimeoutStopSec=45"), props.toString());
        // Stopped before networking and remote storage at shutdown.
        assertTrue(props.contains("--property=After=network.target"), props.toString());
        assertTrue(props.contains("--property=After=remote-fs.target"), props.toString());
    }

    @Test
    void theUnitRunsAsTheAccountWithOnlyTheVmDirectoryWritable() {
        ProcessLauncher launcher = new ProcessLauncher(true, TestAccount.current(), Path.of("/var/lib/scalebox"),
                Path.of("/usr/sbin/scaleboxd"), Duration.ofSeconds(30), GuestShutdown.system());
        Path dir = Path.of("/var/lib/scalebox/vms/vm-0123456789ab");
        VmSpec spec = new VmSpec("vm-0123456789ab", "q", dir, Path.of("/var/lib/scalebox/kernel/6.1/vmlinux"),
                Optional.of(Path.of("/boot/initrd.img")), dir.resolve("rootfs.ext4"), "sbx0", "02:00:00:00:00:01",
                "172.16.0.5", "172.16.0.1", "255.255.0.0", List.of(), 1, 256);
        List<String> p = launcher.sandboxProperties(spec);
        String user = System.getProperty("user.name");
        assertTrue(p.containsAll(List.of("User=" + user, "Group=" + user, "NoNewPrivileges=yes",
                "CapabilityBoundingSet=", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                "DevicePolicy=closed", "DeviceAllow=/dev/kvm rw", "DeviceAllow=/dev/net/tun rw",
                "RestrictAddressFamilies=AF_UNIX", "RestrictNamespaces=yes", "SystemCallFilter=@system-service seccomp")),
                p.toString());
        // DATA_DIR hidden but for the VM's directory and its kernel; an initrd elsewhere is visible read-only anyway.
        assertTrue(p.containsAll(List.of("TemporaryFileSystem=/var/lib/scalebox:ro", "BindPaths=" + dir,
                "BindReadOnlyPaths=/var/lib/scalebox/kernel/6.1/vmlinux")), p.toString());
        assertTrue(p.stream().noneMatch(x -> x.contains("/boot/initrd.img")), p.toString());
        assertTrue(p.indexOf("TemporaryFileSystem=/var/lib/scalebox:ro") < p.indexOf("BindPaths=" + dir));
    }

    @Test
    void withoutSystemdTheProcessDropsToTheAccountAndAllCapabilities() {
        ProcessLauncher launcher = new ProcessLauncher(false, TestAccount.current(), Path.of("/var/lib/scalebox"),
                Path.of("/usr/sbin/scaleboxd"), Duration.ofSeconds(30), GuestShutdown.system());
        String user = System.getProperty("user.name");
        assertEquals(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs", "--"), launcher.dropPrivileges());
    }

    @Test
    void unitWordsEscapeQuotesBackslashesAndVariables() {
        assertEquals("\"/srv/a b\"", ProcessLauncher.unitWord("/srv/a b"));
        assertEquals("\"/srv/\\\"x\\\\y\\\"\"", ProcessLauncher.unitWord("/srv/\"x\\y\""));
        assertEquals("\"/srv/$$HOME\"", ProcessLauncher.unitWord("/srv/$HOME"));
    }
}
