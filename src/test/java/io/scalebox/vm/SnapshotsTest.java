package io.scalebox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** Snapshots and template deletion against the fake host. */
class SnapshotsTest extends EngineTest {

    @Test
    void snapshotOfARunningVmPausesCopiesResumesAndScrubs() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        Snapshot s = m.snapshot("alpha", "mine");
        assertEquals("mine", s.template());
        assertEquals(vm.id(), s.sourceVm());
        assertTrue(templates.exists("mine"));
        int pause = fake.calls.indexOf("pause " + vm.id());
        int copy = fake.calls.lastIndexOf("copy");
        int resume = fake.calls.indexOf("resume " + vm.id());
        int scrub = fake.calls.indexOf("scrub");
        assertTrue(pause >= 0 && pause < copy && copy < resume && resume < scrub, fake.calls.toString());
        assertEquals(Vm.Status.running, m.get("alpha").status());
        assertTrue(templates.metadata("mine").containsKey("source_vm"));
    }

    @Test
    void snapshotOfAStoppedVmDoesNotPause() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        m.stop("alpha", true);
        m.snapshot("alpha", "mine");
        assertFalse(fake.calls.contains("pause " + vm.id()));
        assertTrue(templates.exists("mine"));
    }

    @Test
    void existingNamesAndUnknownVmsAreRefused() throws Exception {
        VmManager m = engine();
        m.create(request("alpha"));
        assertReason(VmException.Reason.CONFLICT, () -> m.snapshot("alpha", "debian-base"));
        assertReason(VmException.Reason.NOT_FOUND, () -> m.snapshot("nope", "x"));
    }

    @Test
    void aFailedCopyLeavesNoPartialAndTheVmRunning() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        fake.failAt = "copy";
        assertReason(VmException.Reason.FAILED, () -> m.snapshot("alpha", "mine"));
        assertFalse(Files.exists(templates.partial("mine")));
        assertFalse(templates.exists("mine"));
        assertTrue(fake.calls.contains("resume " + vm.id()), "resumed after the failure");
        fake.failAt = "snapshot:scrubbed";
        assertReason(VmException.Reason.FAILED, () -> m.snapshot("alpha", "mine"));
        assertFalse(Files.exists(templates.partial("mine")));
    }

    @Test
    void templatesAreDeletedUnlessProtected() throws Exception {
        VmManager m = engine();
        m.create(request("alpha"));
        m.snapshot("alpha", "mine");
        m.templates().delete("mine");
        assertFalse(templates.exists("mine"));
        assertReason(VmException.Reason.NOT_FOUND, () -> m.templates().delete("mine"));
        assertReason(VmException.Reason.FORBIDDEN, () -> m.templates().delete("debian-base"));
    }

    @Test
    void aSnapshotThatWouldNotFitIsRefusedFirst() throws Exception {
        VmManager m = engine();
        m.create(request("alpha"));
        fake.freeBytes = DiskBudget.GIB;
        fake.allocatedBytes = 0;
        assertReason(VmException.Reason.INSUFFICIENT_STORAGE, () -> m.snapshot("alpha", "mine"));
        assertFalse(fake.calls.contains("copy") && templates.exists("mine"));
        assertFalse(Files.exists(templates.partial("mine")));
    }
}
