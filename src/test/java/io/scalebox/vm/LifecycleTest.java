package io.scalebox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Create, stop, start and delete against the fake host: results and what failures leave. */
class LifecycleTest extends EngineTest {

    @Test
    void createRunsTheVmAndRecordsIt() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        assertEquals(Vm.Status.running, vm.status());
        assertEquals("alpha", vm.name());
        assertEquals("172.30.0.2", vm.guestAddress(), "first address after the gateway");
        assertEquals(41000, vm.sshPort());
        assertTrue(fake.taps.contains(vm.tap()));
        assertTrue(fake.openPorts.contains(41000));
        assertEquals(List.of(vm.id()), fake.forwards.stream().map(f -> f.vmId()).toList());
        assertEquals(KEY, Files.readString(store.dir(vm.id()).resolve("authorized_keys")));
        assertTrue(Files.exists(store.dir(vm.id()).resolve("vm.json")));
        assertEquals(vm, m.get("alpha"));
        assertEquals(vm, m.get(vm.id()));
    }

    /**
     * Every step of a create: a failure there leaves nothing, and frees name, address and port;
     * its error names the phase and carries the code of what failed.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "create:allocated, DISK_FAILED, Failed to create VM (clone)",
        "create:dir, DISK_FAILED, Failed to create VM (clone)",
        "copy, DISK_FAILED, Failed to create VM (clone)",
        "key, DISK_FAILED, Failed to create VM (key)",
        "create:disk, DISK_FAILED, Failed to create VM (key)",
        "tap, NETWORK_FAILED, Failed to create VM (boot)",
        "create:tap, NETWORK_FAILED, Failed to create VM (boot)",
        "hypervisor, HYPERVISOR_FAILED, Failed to start VM",
        "create:hypervisor, NETWORK_FAILED, Failed to create VM (boot)",
        "proxy, NETWORK_FAILED, Failed to create VM (boot)",
        "create:booted, NETWORK_FAILED, Failed to create VM (boot)",
        "create:recorded, RECORD_FAILED, Failed to create VM (record)",
        "firewall, NETWORK_FAILED, Failed to create VM (network)"})
    void aFailureAtAnyCreateStepLeavesNothing(String step, ErrorCode code, String what) throws Exception {
        VmManager m = engine();
        fake.failAt = step;
        VmException e = org.junit.jupiter.api.Assertions.assertThrows(VmException.class,
                () -> m.create(request("alpha")));
        assertEquals(VmException.Reason.FAILED, e.reason());
        assertEquals(code, e.code(), e.getMessage());
        assertTrue(e.getMessage().startsWith(what + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("injected failure at " + step), e.getMessage());
        assertNothingLeft(m);
        fake.failAt = "";
        Vm again = m.create(request("alpha"));
        assertEquals("172.30.0.2", again.guestAddress(), "the address was freed");
        assertEquals(41000, again.sshPort(), "the port was freed");
    }

    @Test
    void aGrowFailureLeavesNothingEither() throws Exception {
        VmManager m = engine();
        fake.failAt = "grow";
        assertReason(VmException.Reason.FAILED, () -> m.create(new CreateRequest("debian-base",
                SshPublicKey.parse(KEY), java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.empty(), java.util.Optional.of(2))));
        assertNothingLeft(m);
    }

    @Test
    void parallelCreatesGetDistinctAddressesAndPorts() throws Exception {
        VmManager m = engine();
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            List<Callable<Vm>> creates = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                creates.add(() -> m.create(request(null)));
            }
            Set<String> addresses = new HashSet<>();
            Set<Integer> ports = new HashSet<>();
            Set<String> names = new HashSet<>();
            for (Future<Vm> f : pool.invokeAll(creates)) {
                Vm vm = f.get();
                addresses.add(vm.guestAddress());
                ports.add(vm.sshPort());
                names.add(vm.name());
            }
            assertEquals(5, addresses.size());
            assertEquals(5, ports.size());
            assertEquals(5, names.size());
            assertEquals(5, fake.forwards.size(), "the firewall was last written with every VM");
        } finally {
            pool.shutdownNow();
        }
        // /29: gateway .1, guests .2-.6; the sixth has neither address nor (5 ports) a port.
        assertReason(VmException.Reason.UNAVAILABLE, () -> m.create(request(null)));
        assertEquals(5, m.count());
    }

    @Test
    void everyChangeIsPublishedInOrder() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        m.stop("alpha", false);
        m.stop("alpha", false); // already stopped: no event
        m.start("alpha", false);
        assertCode(ErrorCode.NAME_TAKEN, () -> m.create(request("alpha")));
        m.delete("alpha");
        assertEquals(List.of("vm.created", "vm.stopped", "vm.started", "vm.create_failed", "vm.deleted"),
                events.since(0).stream().map(io.scalebox.events.Event::type).toList());
        assertEquals(java.util.Optional.of(vm.id()), events.since(0).get(0).vmId());
        assertEquals(java.util.Optional.of("name_taken"), events.since(0).get(3).detail());
    }

    @Test
    void aHypervisorThatExitsOnItsOwnIsRecordedAsStoppedOnce() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        m.create(request("beta"));
        m.reapExited();
        assertEquals(Vm.Status.running, m.get("alpha").status(), "a live hypervisor is left alone");
        fake.live.remove(vm.process().orElseThrow().pid());
        m.reapExited();
        m.reapExited();
        assertEquals(Vm.Status.stopped, m.get("alpha").status());
        assertEquals(Vm.Status.running, m.get("beta").status());
        assertFalse(fake.taps.contains(vm.tap()), "its TAP is gone");
        assertFalse(fake.openPorts.contains(vm.sshPort()), "its port is closed");
        assertEquals(List.of("vm.crashed"), events.since(0).stream().map(io.scalebox.events.Event::type)
                .filter(t -> t.equals("vm.crashed")).toList(), "one event");
        assertEquals(1, metrics.crashes());
        assertEquals(Vm.Status.stopped, recovered(config).get("alpha").status(), "the record says so");
        assertEquals(Vm.Status.running, m.start("alpha", false).status(), "and it starts again");
    }

    @Test
    void vmsEndedByAHostShutdownStayRecordedAsRunning() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        fake.hostStopping = true;
        fake.live.remove(vm.process().orElseThrow().pid());
        m.reapExited();
        assertEquals(Vm.Status.running, m.get("alpha").status(), "so that AUTOSTART boots it after the reboot");
        assertEquals(0, metrics.crashes());
    }

    @Test
    void aNewOrRebuiltBaseTemplateIsAnEvent() throws Exception {
        Files.delete(data.resolve("templates/debian-base.ext4"));
        VmManager m = engine();
        m.templates().noticeBaseBuild();
        Files.write(data.resolve("templates/debian-base.ext4"), new byte[64 * 1024]);
        Files.writeString(data.resolve("templates/debian-base.json"), "{\"built_at\":\"2026-12-01T10:00:00Z\"}");
        m.templates().noticeBaseBuild();
        m.templates().noticeBaseBuild();
        Files.writeString(data.resolve("templates/debian-base.json"), "{\"built_at\":\"2026-12-02T10:00:00Z\"}");
        m.templates().noticeBaseBuild();
        assertEquals(List.of("template.built", "template.built"), events.since(0).stream()
                .map(io.scalebox.events.Event::type).toList(), "built, then rebuilt; nothing in between");
        engine().templates().noticeBaseBuild();
        assertEquals(2, events.since(0).size(), "what was there when the daemon started is no event");
    }

    @Test
    void everyOperationIsMeasuredWithItsOutcome() throws Exception {
        VmManager m = engine();
        m.create(request("alpha"));
        m.stop("alpha", false);
        m.start("alpha", false);
        assertCode(ErrorCode.NAME_TAKEN, () -> m.create(request("alpha")));
        m.delete("alpha");
        assertEquals(1, metrics.operations("create", "ok"));
        assertEquals(1, metrics.operations("create", "failed"));
        assertEquals(1, metrics.operations("stop", "ok"));
        assertEquals(1, metrics.operations("start", "ok"));
        assertEquals(1, metrics.operations("delete", "ok"));
        String text = scrape();
        assertTrue(text.contains("scalebox_operation_failures_total{code=\"name_taken\",operation=\"create\"} 1"),
                text);
        for (String phase : List.of("clone", "key", "boot", "record", "network")) {
            assertTrue(text.contains("scalebox_create_phase_duration_seconds_count{phase=\"" + phase + "\"} 1"),
                    phase + " in " + text);
        }
    }

    private String scrape() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        metrics.write(out, new io.scalebox.metrics.Readings());
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void nameConflictsAreRefusedWithoutSideEffects() throws Exception {
        VmManager m = engine();
        m.create(request("alpha"));
        assertReason(VmException.Reason.CONFLICT, () -> m.create(request("alpha")));
        assertEquals(ErrorCode.NAME_TAKEN, org.junit.jupiter.api.Assertions.assertThrows(VmException.class,
                () -> m.create(request("alpha"))).code());
        assertEquals(1, m.count());
        assertEquals(1, fake.taps.size());
    }

    @Test
    void missingTemplateAndKernelAreRefusedBeforeAnythingIsMade() throws Exception {
        VmManager m = engine();
        assertCode(ErrorCode.TEMPLATE_NOT_FOUND, () -> m.create(new CreateRequest("nope", SshPublicKey.parse(KEY),
                java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.empty())));
        Files.delete(data.resolve("templates/debian-base.ext4"));
        assertCode(ErrorCode.BASE_TEMPLATE_NOT_READY, () -> m.create(request("a")));
        Files.delete(data.resolve("kernel/vmlinux"));
        assertCode(ErrorCode.KERNEL_NOT_READY, () -> m.create(request("a")));
        assertNothingLeft(m);
    }

    @Test
    void stopAsksTheGuestThenKeepsDiskNamePortAndId() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        long pid = vm.process().orElseThrow().pid();
        Vm stopped = m.stop("alpha", false);
        assertEquals(Vm.Status.stopped, stopped.status());
        assertTrue(fake.calls.contains("powerOff " + pid), "the guest was asked");
        assertFalse(fake.live.contains(pid));
        assertFalse(fake.taps.contains(vm.tap()));
        assertFalse(fake.openPorts.contains(vm.sshPort()));
        assertEquals(List.of(vm.id(), vm.name(), vm.sshPort()), List.of(stopped.id(), stopped.name(), stopped.sshPort()));
        assertTrue(Files.exists(store.dir(vm.id()).resolve("rootfs.ext4")));
        assertEquals(stopped, m.stop("alpha", false), "stopping a stopped VM changes nothing");
        assertEquals(List.of(vm.id()), fake.forwards.stream().map(f -> f.vmId()).toList(), "its UDP forward stays");
    }

    @Test
    void forcedStopDoesNotAskTheGuest() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        long pid = vm.process().orElseThrow().pid();
        m.stop(vm.id(), true);
        assertFalse(fake.calls.contains("powerOff " + pid));
        assertTrue(fake.calls.contains("stop " + pid));
    }

    @Test
    void aGuestThatIgnoresTheButtonIsStillStopped() throws Exception {
        VmManager m = engine();
        fake.guestsObey = false;
        Vm vm = m.create(request("alpha"));
        assertEquals(Vm.Status.stopped, m.stop("alpha", false).status());
        assertFalse(fake.live.contains(vm.process().orElseThrow().pid()));
    }

    @Test
    void startBootsAStoppedVmAndLeavesARunningOneAlone() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        assertEquals(vm, m.start("alpha", false), "starting a running VM changes nothing");
        m.stop("alpha", false);
        Vm started = m.start("alpha", false);
        assertEquals(Vm.Status.running, started.status());
        assertNotEquals(vm.process(), started.process());
        assertTrue(fake.taps.contains(vm.tap()));
        assertTrue(fake.openPorts.contains(vm.sshPort()));
    }

    @Test
    void startBootsAVmWhoseHypervisorExitedOutsideTheDaemon() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        fake.live.clear(); // the guest powered off, or its unit was stopped
        Vm started = m.start("alpha", false);
        assertTrue(fake.live.contains(started.process().orElseThrow().pid()));
        assertNotEquals(vm.process(), started.process());
    }

    @Test
    void aFailedStartLeavesTheVmStoppedAndNothingRunning() throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        m.stop("alpha", true);
        fake.failAt = "proxy";
        assertReason(VmException.Reason.FAILED, () -> m.start("alpha", false));
        assertEquals(Vm.Status.stopped, m.get("alpha").status());
        assertEquals(java.util.Set.of(), fake.live);
        assertFalse(fake.taps.contains(vm.tap()));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void deleteRemovesEverythingWhateverTheStatus(boolean running) throws Exception {
        VmManager m = engine();
        Vm vm = m.create(request("alpha"));
        if (!running) {
            m.stop("alpha", false);
        }
        m.delete("alpha");
        assertNothingLeft(m);
        assertEquals(List.of(), fake.forwards);
        assertReason(VmException.Reason.NOT_FOUND, () -> m.delete("alpha"));
        assertReason(VmException.Reason.NOT_FOUND, () -> m.stop(vm.id(), false));
        assertReason(VmException.Reason.NOT_FOUND, () -> m.start(vm.id(), false));
        assertEquals("172.30.0.2", m.create(request("beta")).guestAddress(), "its address is free again");
    }

    @Test
    void aFailureDuringDeleteStillRemovesTheVm() throws Exception {
        VmManager m = engine();
        m.create(request("alpha"));
        fake.failAt = "firewall";
        m.delete("alpha");
        fake.failAt = "";
        assertNothingLeft(m);
    }

    @Test
    void disksAreCommittedAtTheirNominalSize() throws Exception {
        VmManager m = engine();
        fake.freeBytes = 12 * DiskBudget.GIB;
        m.create(sized("a", 4)); // 4 + 2 reserve <= 12
        assertEquals(4 * DiskBudget.GIB, m.committedBytes());
        // Still 12 GiB free (sparse), but 4 are promised to "a": 8 left, 6 + 2 reserve fits, 7 + 2 does not.
        assertReason(VmException.Reason.INSUFFICIENT_STORAGE, () -> m.create(sized("b", 7)));
        m.create(sized("b", 6));
        assertReason(VmException.Reason.INSUFFICIENT_STORAGE, () -> m.create(sized("c", 1)));
        fake.allocatedBytes = 10 * DiskBudget.GIB; // the guests wrote their disks full
        fake.freeBytes = 2 * DiskBudget.GIB;
        assertReason(VmException.Reason.INSUFFICIENT_STORAGE, () -> m.create(sized("c", 1)));
        m.delete("a");
        assertEquals(6 * DiskBudget.GIB, m.committedBytes(), "a deleted VM's disk is no longer committed");
    }

    @Test
    void overcommitLetsSparseDisksShareTheSpace() throws Exception {
        VmManager m = engine(config(java.util.Map.of("DISK_OVERCOMMIT", "2.0")));
        fake.freeBytes = 12 * DiskBudget.GIB;
        m.create(sized("a", 4));
        m.create(sized("b", 7)); // (12 - 4) * 2 = 16 >= 7 + 2
        assertEquals(2, m.count());
    }

    @Test
    void aRefusedCreateLeavesNothingAndFreesItsPlaces() throws Exception {
        VmManager m = engine();
        fake.freeBytes = 3 * DiskBudget.GIB;
        assertCode(ErrorCode.INSUFFICIENT_SPACE, () -> m.create(sized("big", 5)));
        assertNothingLeft(m);
        assertEquals(0, m.committedBytes());
        fake.freeBytes = 100 * DiskBudget.GIB;
        assertEquals(41000, m.create(sized("big", 5)).sshPort(), "no port was kept by the refused create");
    }

    private static CreateRequest sized(String name, int gib) {
        return new CreateRequest("debian-base", SshPublicKey.parse(KEY), java.util.Optional.of(name),
                java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.of(gib));
    }
}
