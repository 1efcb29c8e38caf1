package io.scalebox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.scalebox.hypervisor.ProcessLauncher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The daemon's start on records left by an earlier run (same data, a fresh engine). */
class RecoveryTest extends EngineTest {

    @Test
    void aLiveHypervisorIsReattached() throws Exception {
        Vm vm = engine().create(request("alpha"));
        fake.openPorts.clear(); // the old daemon's ports closed with it
        VmManager restarted = engine();
        restarted.recover();
        assertEquals(vm, restarted.get("alpha"), "same record, same process");
        assertTrue(fake.openPorts.contains(vm.sshPort()), "its port is served again");
        assertTrue(fake.calls.contains("resume " + vm.id()), "a snapshot cut short must not leave it paused");
        assertEquals(List.of(vm.id()), fake.forwards.stream().map(f -> f.vmId()).toList());
        assertEquals("172.30.0.3", restarted.create(request("beta")).guestAddress(), "its address stays taken");
        assertEquals(1, metrics.reconcileActions("reattached"));
    }

    @Test
    void aDeadHypervisorIsBootedAgainWithAutostart() throws Exception {
        Vm vm = engine().create(request("alpha"));
        fake.live.clear();
        fake.openPorts.clear();
        VmManager restarted = engine();
        restarted.recover();
        Vm now = restarted.get("alpha");
        assertEquals(Vm.Status.running, now.status());
        assertNotEquals(vm.process(), now.process());
        assertTrue(fake.live.contains(now.process().orElseThrow().pid()));
        assertEquals(1, metrics.reconcileActions("marked_stopped"));
        assertEquals(1, metrics.reconcileActions("autostarted"));
    }

    @Test
    void aDeadHypervisorIsMarkedStoppedWithoutAutostart() throws Exception {
        Vm vm = engine().create(request("alpha"));
        fake.live.clear();
        VmManager restarted = engine(config(Map.of("AUTOSTART", "false")));
        restarted.recover();
        assertEquals(Vm.Status.stopped, restarted.get("alpha").status());
        assertFalse(fake.taps.contains(vm.tap()), "its TAP is gone");
        assertTrue(Files.exists(store.dir(vm.id()).resolve("rootfs.ext4")), "disk kept");
        assertEquals(Vm.Status.stopped, recovered(config(Map.of("AUTOSTART", "false"))).get("alpha").status(), "the record says so");
    }

    @Test
    void aStoppedVmStaysStopped() throws Exception {
        VmManager m = engine();
        m.create(request("alpha"));
        m.stop("alpha", false);
        VmManager restarted = engine();
        restarted.recover();
        assertEquals(Vm.Status.stopped, restarted.get("alpha").status());
        assertEquals(Set.of(), fake.live);
    }

    @Test
    void corruptRecordsAreMovedAsideAndTheRestStarts() throws Exception {
        Vm vm = engine().create(request("alpha"));
        Path broken = config.vmsDir().resolve("vm-00000000abcd");
        Files.createDirectories(broken);
        Files.writeString(broken.resolve("vm.json"), "{\"id\": broken");
        Path wrongId = config.vmsDir().resolve("vm-00000000abce");
        Files.createDirectories(wrongId);
        Files.copy(store.dir(vm.id()).resolve("vm.json"), wrongId.resolve("vm.json"));
        VmManager restarted = engine();
        restarted.recover();
        assertEquals(List.of(vm.id()), restarted.list().stream().map(Vm::id).toList());
        for (Path dir : List.of(broken, wrongId)) {
            assertFalse(Files.exists(dir.resolve("vm.json")));
            try (Stream<Path> files = Files.list(dir)) {
                assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("vm.json.corrupt-")), dir.toString());
            }
        }
        VmManager again = engine();
        again.recover();
        assertTrue(Files.exists(broken), "a quarantined directory is kept for the operator");
    }

    @Test
    void interruptedCreatesDeletesAndSnapshotsAreCleanedUp() throws Exception {
        VmManager m = engine();
        Vm doomed = m.create(request("doomed"));
        store.markDeleting(doomed.id());
        Path halfCreated = config.vmsDir().resolve("vm-0000000000ff");
        Files.createDirectories(halfCreated);
        Files.write(halfCreated.resolve("rootfs.ext4"), new byte[10]);
        Files.write(templates.partial("half"), new byte[10]);
        fake.openPorts.clear(); // the old daemon's ports closed with it
        VmManager restarted = engine();
        restarted.recover();
        assertEquals(List.of(), restarted.list());
        assertFalse(Files.exists(store.dir(doomed.id())), "the interrupted delete was finished");
        assertFalse(Files.exists(halfCreated), "the interrupted create was removed");
        assertFalse(Files.exists(templates.partial("half")), "the partial template was removed");
        assertNothingLeft(restarted);
    }

    @Test
    void orphansOfEveryKindAreRemoved() throws Exception {
        Vm vm = engine().create(request("alpha"));
        fake.taps.add("sbx0000000001");
        fake.units.add(ProcessLauncher.UNIT_PREFIX + "vm-000000000001.service");
        fake.units.add(ProcessLauncher.UNIT_PREFIX + vm.id() + ".service");
        fake.strayHypervisors.put(4242L, "vm-000000000001");
        fake.strayHypervisors.put(vm.process().orElseThrow().pid(), vm.id());
        fake.tableIds = Set.of(vm.id(), "vm-000000000001");
        VmManager restarted = engine();
        restarted.recover();
        assertEquals(Set.of(vm.tap()), fake.taps, "the orphan TAP is gone, the VM's stays");
        assertEquals(Set.of(ProcessLauncher.UNIT_PREFIX + "vm-000000000001.service"), fake.stoppedUnits);
        assertEquals(Set.of(4242L), fake.ended, "only the orphan hypervisor is ended");
        assertEquals(Set.of(vm.id()), fake.tableIds, "the table is rewritten from the records");
    }

    @Test
    void recordsOfVersion010StillLoad() throws Exception {
        Path dir = config.vmsDir().resolve("vm-0123456789ab");
        Files.createDirectories(dir);
        Files.write(dir.resolve("rootfs.ext4"), new byte[10]);
        Files.writeString(dir.resolve("vm.json"), """
                {"id":"vm-0123456789ab","name":"old","template":"debian-base","guestAddress":"172.30.0.4",
                 "tap":"sbx0123456789","mac":"02:01:23:45:67:89","sshPort":41002,"vcpuCount":1,"memSizeMib":256,
                 "diskSizeGib":1,"createdAtMillis":1764000000000,"status":"stopped","hypervisor":"qemu","pid":0}
                """);
        VmManager m = engine(config(Map.of("AUTOSTART", "false")));
        m.recover();
        assertTrue(Files.readString(dir.resolve("vm.json")).contains("\"version\": " + VmRecord.VERSION),
                "migrated at the start, before anything else changes it");
        assertEquals(1, metrics.reconcileActions("record_migrated"));
        String migrated = Files.readString(dir.resolve("vm.json"));
        engine(config(Map.of("AUTOSTART", "false"))).recover();
        assertEquals(migrated, Files.readString(dir.resolve("vm.json")), "a current record is left as it is");
        assertEquals(1, metrics.reconcileActions("record_migrated"));
        Vm old = m.get("old");
        assertEquals(Vm.Status.stopped, old.status());
        assertEquals(41002, old.sshPort());
        assertEquals(java.util.Optional.empty(), old.kernelVersion());
        Vm started = m.start("old", false);
        assertEquals(Vm.Status.running, started.status());
    }

    @Test
    void flushedFirewallTablesAreRestored() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        long applies = fake.calls.stream().filter("firewall"::equals).count();
        m.repairFirewall();
        assertEquals(applies, fake.calls.stream().filter("firewall"::equals).count(), "intact tables are left alone");
        fake.tablesIntact = false;
        fake.tableIds = Set.of();
        m.repairFirewall();
        assertTrue(fake.tablesIntact);
        assertEquals(Set.of(vm.id()), fake.tableIds, "rewritten from the records");
    }
}
