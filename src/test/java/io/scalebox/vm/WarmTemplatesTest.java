package io.scalebox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Warm templates against the fake host, which has no guest agent: what a failed build leaves,
 * and that a restore which cannot finish falls back to a boot leaving nothing of itself. (The
 * restores that succeed are proven with real guests: scripts/test/warm.sh.)
 */
class WarmTemplatesTest extends EngineTest {

    @Test
    void aBuildWhoseGuestNeverAnswersFailsAndLeavesNothing() throws Exception {
        VmManager m = engine();
        VmException e = assertThrows(VmException.class, () -> m.templates().warm("debian-base"));
        assertEquals(ErrorCode.WARM_FAILED, e.code());
        assertTrue(e.getMessage().contains("agent"), e.getMessage());
        assertTrue(fake.live.isEmpty(), "the builder's hypervisor is stopped");
        assertTrue(fake.taps.isEmpty(), "and its TAP deleted");
        try (var vms = Files.list(data.resolve("vms"))) {
            assertEquals(0, vms.count(), "no builder directory is left");
        }
        assertFalse(Files.exists(data.resolve("warm/debian-base")));
        assertFalse(Files.exists(data.resolve("warm/debian-base.build")));
        assertEquals(Optional.empty(), m.templates().warmState("debian-base"));
        assertEquals(1, metrics.operations("warm", "failed"));
        for (String name : java.util.List.of("a", "b", "c", "d", "e")) {
            m.create(request(name)); // the bridge's /29 has five VM addresses: the builder's came back
        }
    }

    @Test
    void aRestoreThatCannotFinishFallsBackToABootAndLeavesNothingOfItself() throws Exception {
        VmManager m = engine();
        writeWarmState(1, 256, 1);
        assertTrue(m.templates().warmState("debian-base").orElseThrow().current());
        Vm vm = m.create(request("alpha"));
        assertTrue(fake.calls.contains("link down " + vm.id()), "the clone was restored with its link down");
        assertEquals(Vm.Status.running, vm.status());
        assertEquals(1, fake.live.size(), "the restored hypervisor was stopped; the booted one runs");
        assertEquals(1, metrics.warmCreates("fell_back"));
        assertEquals(0, metrics.warmCreates("restored"));
        assertTrue(fake.taps.contains(vm.tap()));
    }

    @Test
    void aStateOfAnotherShapeOrAnOlderTemplateIsNotRestoredFrom() throws Exception {
        VmManager m = engine();
        writeWarmState(2, 256, 1); // another vCPU count than the default
        assertFalse(m.templates().warmState("debian-base").orElseThrow().current());
        Vm vm = m.create(request("alpha"));
        assertFalse(fake.calls.contains("link down " + vm.id()), "booted, no restore tried");
        writeWarmState(1, 256, 1);
        Files.setLastModifiedTime(data.resolve("templates/debian-base.ext4"),
                java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        assertFalse(m.templates().warmState("debian-base").orElseThrow().current(), "the template changed since");
        Vm beta = m.create(request("beta"));
        assertFalse(fake.calls.contains("link down " + beta.id()));
        assertEquals(0, metrics.warmCreates("fell_back"));
    }

    @Test
    void deletingTheTemplateRemovesItsWarmState() throws Exception {
        Files.write(data.resolve("templates/other.ext4"), new byte[1024]);
        VmManager m = engine();
        Path dir = data.resolve("warm/other");
        Files.createDirectories(dir.resolve("state"));
        Files.write(dir.resolve("disk.ext4"), new byte[1024]);
        m.templates().delete("other");
        assertFalse(Files.exists(dir));
    }

    /** A warm state as a build would leave it, for the template as it is now and the given shape. */
    private void writeWarmState(int vcpus, int memMib, int diskGib) throws Exception {
        Path dir = data.resolve("warm/debian-base");
        Files.createDirectories(dir.resolve("state"));
        Files.writeString(dir.resolve("state/fake.state"), "memory of the builder");
        Files.write(dir.resolve("disk.ext4"), new byte[64 * 1024]);
        Path image = data.resolve("templates/debian-base.ext4");
        BasicFileAttributes t = Files.readAttributes(image, BasicFileAttributes.class);
        Path kernel = data.resolve("kernel/vmlinux");
        BasicFileAttributes k = Files.readAttributes(kernel, BasicFileAttributes.class);
        new WarmState(new WarmState.Source("debian-base", t.size(), t.lastModifiedTime().toMillis(),
                kernel + " " + k.size() + " " + k.lastModifiedTime().toMillis(), fake.stateFormat, vcpus, memMib,
                diskGib), 1234, System.currentTimeMillis()).write(dir);
    }
}
