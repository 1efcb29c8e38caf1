package io.scalebox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** Pause to disk and resume against the fake host: states, what stays, what failures leave. */
class PausedVmsTest extends EngineTest {

    @Test
    void aPausedVmKeepsItsPlaceAndResumesFromItsState() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        long pid = vm.process().orElseThrow().pid();
        Vm paused = m.pause("alpha");
        assertEquals(Vm.Status.paused, paused.status());
        assertEquals(1234, paused.saved().orElseThrow().bytes());
        assertFalse(fake.live.contains(pid), "the hypervisor has exited: CPU and memory are free");
        assertFalse(fake.taps.contains(vm.tap()));
        assertFalse(fake.openPorts.contains(vm.sshPort()), "the port is closed while paused");
        assertTrue(Files.exists(store.stateDir(vm.id()).resolve("fake.state")));
        assertEquals(paused, m.pause("alpha"), "pausing a paused VM changes nothing");
        assertEquals(DiskBudget.GIB * vm.diskSizeGib() + 1234, m.committedBytes(), "its state counts in the disk budget");

        Vm resumed = m.resume("alpha");
        assertEquals(Vm.Status.running, resumed.status());
        assertTrue(fake.calls.contains("restored memory of " + pid), "loaded from what was saved");
        assertTrue(fake.taps.contains(vm.tap()));
        assertTrue(fake.openPorts.contains(vm.sshPort()));
        assertFalse(Files.exists(store.stateDir(vm.id())), "a state is spent once resumed");
        assertEquals(java.util.List.of(vm.guestAddress(), vm.mac(), vm.sshPort()),
                java.util.List.of(resumed.guestAddress(), resumed.mac(), resumed.sshPort()));
        assertEquals(resumed, m.resume("alpha"), "resuming a running VM changes nothing");
    }

    @Test
    void onlyARunningVmPausesAndOnlyAPausedOneResumes() throws Exception {
        VmManager m = engine();
        m.create(request("alpha"));
        m.stop("alpha", true);
        assertReason(VmException.Reason.CONFLICT, () -> m.pause("alpha"));
        assertReason(VmException.Reason.CONFLICT, () -> m.resume("alpha"));
        m.start("alpha", false);
        m.pause("alpha");
        assertReason(VmException.Reason.CONFLICT, () -> m.start("alpha", false));
        assertReason(VmException.Reason.CONFLICT, () -> m.stop("alpha", false));
        assertEquals(Vm.Status.paused, m.get("alpha").status(), "refused calls change nothing");
    }

    @Test
    void aStartThatDiscardsTheStateBootsFromTheDisk() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        m.pause("alpha");
        Vm booted = m.start("alpha", true);
        assertEquals(Vm.Status.running, booted.status());
        assertFalse(fake.calls.stream().anyMatch(c -> c.startsWith("restored")), "booted, not restored");
        assertFalse(Files.exists(store.stateDir(vm.id())));
    }

    @Test
    void aStateOfAnotherHypervisorBuildIsRefusedWithTheWayOut() throws Exception {
        VmManager m = engine();
        m.create(request("alpha"));
        m.pause("alpha");
        fake.stateFormat = "fake-hypervisor 2";
        VmException e = org.junit.jupiter.api.Assertions.assertThrows(VmException.class, () -> m.resume("alpha"));
        assertEquals(ErrorCode.STATE_INCOMPATIBLE, e.code());
        assertTrue(e.getMessage().contains("discard_state"), e.getMessage());
        assertEquals(Vm.Status.paused, m.get("alpha").status());
    }

    @Test
    void aFailedPauseLeavesTheVmRunningAndAFailedResumeLeavesItPaused() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        fake.failAt = "save";
        VmException e = org.junit.jupiter.api.Assertions.assertThrows(VmException.class, () -> m.pause("alpha"));
        assertEquals(ErrorCode.PAUSE_FAILED, e.code());
        assertEquals(vm, m.get("alpha"));
        assertTrue(fake.openPorts.contains(vm.sshPort()), "its port is open again");
        assertFalse(Files.exists(store.stateDir(vm.id())), "nothing of the failed pause is left");

        fake.failAt = "";
        m.pause("alpha");
        fake.failAt = "restore";
        e = org.junit.jupiter.api.Assertions.assertThrows(VmException.class, () -> m.resume("alpha"));
        assertEquals(ErrorCode.RESUME_FAILED, e.code());
        assertEquals(Vm.Status.paused, m.get("alpha").status());
        assertFalse(fake.taps.contains(vm.tap()), "the resume's TAP was undone");
        assertTrue(Files.exists(store.stateDir(vm.id()).resolve("fake.state")), "the state is kept for another try");
        fake.failAt = "";
        assertEquals(Vm.Status.running, m.resume("alpha").status());
    }

    @Test
    void aPausedVmStaysPausedAcrossARestartAndIsDeletedWithItsState() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        m.pause("alpha");
        VmManager restarted = engine();
        restarted.recover();
        assertEquals(Vm.Status.paused, restarted.get("alpha").status(), "not marked stopped, not autostarted");
        restarted.delete("alpha");
        assertFalse(Files.exists(store.dir(vm.id())));
        assertNothingLeft(restarted);
    }
}
