package io.scalebox.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.scalebox.config.QemuAccel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QemuHypervisorTest {
    private static final VmSpec SPEC = new VmSpec("vm-0123456789ab", "quiet-otter", Path.of("/d"), Path.of("/k"),
            Optional.of(Path.of("/i")), Path.of("/d/rootfs.ext4"), "sbx0", "02:00:00:00:00:01", "172.16.0.5",
            "172.16.0.1", "255.255.0.0", List.of(), 2, 512);

    private static final ProcessLauncher LAUNCHER = new ProcessLauncher(false, TestAccount.current(), Path.of("/var/lib/scalebox"), Path.of("/usr/sbin/scaleboxd"),
            Duration.ofSeconds(30), GuestShutdown.system());

    private static String after(List<String> argv, String flag) {
        return argv.get(argv.indexOf(flag) + 1);
    }

    @Test
    void emulationAvoidsCmpxchg16bAndHintsTheTsc() {
        List<String> argv = new QemuHypervisor(Path.of("/usr/bin/qemu-system-x86_64"), QemuAccel.TCG,
                LAUNCHER, 2_600_000).argv(SPEC);
        assertEquals("tcg", after(argv, "-accel"));
        assertEquals("qemu64,-cx16", after(argv, "-cpu"));
        assertTrue(after(argv, "-append").endsWith(" tsc_early_khz=2600000 tsc=reliable"));
        assertEquals("/i", after(argv, "-initrd"));
    }

    @Test
    void qemuFiltersItsOwnSystemCalls() {
        List<String> argv = new QemuHypervisor(Path.of("/usr/bin/qemu-system-x86_64"), QemuAccel.KVM,
                LAUNCHER, 0).argv(SPEC);
        assertEquals("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
                after(argv, "-sandbox"));
    }

    @Test
    void kvmPassesTheHostCpuThrough() {
        List<String> argv = new QemuHypervisor(Path.of("/usr/bin/qemu-system-x86_64"), QemuAccel.KVM,
                LAUNCHER, 2_600_000).argv(SPEC);
        assertEquals("host", after(argv, "-cpu"));
        assertEquals(1, Collections.frequency(argv, "-cpu"));
        assertTrue(!after(argv, "-append").contains("tsc_early_khz"));
    }

    @Test
    void theConsoleIsAppendedToAndCommasInPathsAreEscaped() {
        VmSpec spec = new VmSpec("vm-0123456789ab", "q", Path.of("/d,x"), Path.of("/k"), Optional.empty(),
                Path.of("/d,x/rootfs.ext4"), "sbx0", "02:00:00:00:00:01", "172.16.0.5", "172.16.0.1", "255.255.0.0",
                List.of(), 1, 256);
        List<String> argv = new QemuHypervisor(Path.of("/usr/bin/qemu-system-x86_64"), QemuAccel.TCG, LAUNCHER, 0).argv(spec);
        assertEquals("file,id=console,path=/d,,x/console.log,append=on", argv.get(argv.lastIndexOf("-chardev") + 1));
        // The guest agent's port: a socket in the control directory, named as qemu-ga looks for it.
        assertEquals("socket,id=agent,path=/d,,x/ctl/qga.sock,server=on,wait=off", after(argv, "-chardev"));
        assertTrue(argv.contains("virtserialport,chardev=agent,name=org.qemu.guest_agent.0"));
        assertEquals("chardev:console", after(argv, "-serial"));
        assertTrue(after(argv, "-drive").startsWith("id=root,file=/d,,x/rootfs.ext4,format=raw"));
        assertEquals("unix:/d,,x/ctl/qmp.sock,server=on,wait=off", after(argv, "-qmp"));
    }
}
