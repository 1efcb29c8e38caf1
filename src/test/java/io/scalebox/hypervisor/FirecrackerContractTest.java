package io.scalebox.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Firecracker adapter against a stand-in Firecracker process ({@link FakeFirecracker})
 * that enforces the documented API. No real Firecracker can run on the build machines.
 */
class FirecrackerContractTest {
    @TempDir
    Path tmp;
    Path vmDir;
    Path ctl;
    VmSpec spec;
    FirecrackerHypervisor firecracker;
    final ProcessLauncher launcher = new ProcessLauncher(false, TestAccount.current(), Path.of("/var/lib/scalebox"), Path.of("/usr/sbin/scaleboxd"), Duration.ofSeconds(30), GuestShutdown.system());
    VmProcess started;

    @BeforeEach
    void setUp() throws IOException {
        Path bin = launcher(tmp.resolve("firecracker"), FakeFirecracker.class);
        vmDir = Files.createDirectories(tmp.resolve("vm-0123456789ab"));
        // The stand-in keeps its files beside its socket, in the VM's control directory.
        ctl = Files.createDirectories(vmDir.resolve("ctl"));
        spec = new VmSpec("vm-0123456789ab", "quiet-otter", vmDir, Path.of("/k/vmlinux"), Optional.of(Path.of("/k/initrd")),
                vmDir.resolve("rootfs.ext4"), "sbx0123456789", "02:01:23:45:67:89", "172.16.0.2", "172.16.0.1",
                "255.255.0.0", List.of("192.0.2.53"), 2, 512);
        firecracker = new FirecrackerHypervisor(bin, Optional.empty(), launcher);
    }

    @AfterEach
    void tearDown() {
        if (started != null) {
            launcher.stop(started);
        }
        // Whatever the adapter did, no stand-in of this test outlives it.
        ProcessHandle.allProcesses()
                .filter(h -> h.info().commandLine().map(c -> c.contains(tmp.toString())).orElse(false))
                .forEach(ProcessHandle::destroyForcibly);
    }

    /** An executable at {@code file} that runs {@code main} on this test's JVM and class path. */
    static Path launcher(Path file, Class<?> main) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(file, "#!/bin/sh\nexec " + java + " -cp '" + System.getProperty("java.class.path")
                + "' " + main.getName() + " \"$@\"\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    List<String> requests() throws IOException {
        Path log = ctl.resolve("fake-requests.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    @Test
    void startFollowsTheDocumentedSequenceAndPauseResumeWork() throws Exception {
        started = firecracker.start(spec);
        assertTrue(started.alive());
        List<String> log = requests();
        assertEquals(List.of(), log.stream().filter(l -> l.startsWith("VIOLATION")).toList());
        assertEquals(List.of("PUT /machine-config", "PUT /boot-source", "PUT /drives/rootfs",
                "PUT /network-interfaces/eth0", "PUT /entropy", "PUT /vsock", "PUT /actions"),
                log.stream().map(l -> l.split(" ")[0] + " " + l.split(" ")[1]).toList());
        assertTrue(log.get(0).contains("\"vcpu_count\":2") && log.get(0).contains("\"mem_size_mib\":512"));
        assertTrue(log.get(1).contains("\"kernel_image_path\":\"/k/vmlinux\"")
                && log.get(1).contains("\"initrd_path\":\"/k/initrd\"")
                && log.get(1).contains("ip=172.16.0.2::172.16.0.1:255.255.0.0:quiet-otter:eth0:off:192.0.2.53"));
        assertTrue(log.get(2).contains("\"is_root_device\":true") && log.get(2).contains("rootfs.ext4"));
        assertTrue(log.get(3).contains("\"host_dev_name\":\"sbx0123456789\"")
                && log.get(3).contains("\"guest_mac\":\"02:01:23:45:67:89\""));
        assertTrue(log.get(5).contains("\"guest_cid\":3"));
        assertTrue(log.get(6).contains("\"action_type\":\"InstanceStart\""));
        // The agent's channel is the socket Firecracker made for the vsock, and its handshake works.
        firecracker.agentChannel(spec.dir()).open(java.time.Duration.ofSeconds(5)).close();

        firecracker.pause(spec);
        firecracker.resume(spec);
        List<String> after = requests();
        assertEquals("PATCH /vm {\"state\":\"Paused\"}", after.get(7));
        assertEquals("PATCH /vm {\"state\":\"Resumed\"}", after.get(8));
        launcher.stop(started);
        assertFalse(started.alive(), "stop ends the process");
    }

    @ParameterizedTest
    @ValueSource(strings = {"PUT /machine-config", "PUT /boot-source", "PUT /drives/rootfs",
        "PUT /network-interfaces/eth0", "PUT /entropy", "PUT /vsock", "PUT /actions"})
    void aFaultAtAnyStepAbortsWithItsMessageAndEndsTheProcess(String step) throws Exception {
        Files.writeString(ctl.resolve("fake-fault"), step);
        HypervisorException e = assertThrows(HypervisorException.class, () -> started = firecracker.start(spec));
        assertTrue(e.getMessage().contains("answered 400: fault injected at " + step), e.getMessage());
        List<String> log = requests();
        assertTrue(log.get(log.size() - 1).startsWith(step), "nothing is sent after the fault: " + log);
        assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine()
                .map(c -> c.contains(ctl.resolve("firecracker.sock").toString())).orElse(false)),
                "the firecracker process was ended");
    }

    @Test
    void aPauseIsASnapshotOfThePausedVmThatANewProcessLoadsAsItsFirstRequest() throws Exception {
        started = firecracker.start(spec);
        Path state = Files.createDirectories(vmDir.resolve("state"));
        int before = requests().size();
        long bytes = firecracker.save(spec, started, state);
        assertFalse(started.alive(), "the paused VM's process has ended");
        assertEquals(Files.size(state.resolve(FirecrackerState.VMSTATE)) + Files.size(state.resolve(FirecrackerState.MEMORY)),
                bytes);
        List<String> saved = requests().subList(before, requests().size());
        assertEquals(List.of(), saved.stream().filter(l -> l.startsWith("VIOLATION")).toList());
        assertEquals(List.of("PATCH /vm", "PUT /snapshot/create"), saved.stream().map(l -> l.split(" ")[0] + " "
                + l.split(" ")[1]).toList());
        assertTrue(saved.get(1).contains("\"snapshot_type\":\"Full\"") && saved.get(1).contains(ctl.toString()),
                saved.get(1));
        assertTrue(Files.isRegularFile(state.resolve(FirecrackerState.MEMORY)), "the daemon holds the files now");
        assertFalse(Files.exists(ctl.resolve(FirecrackerState.MEMORY)));
        assertEquals("rw-r-----", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(state.resolve(FirecrackerState.MEMORY))), "Firecracker may read, not change");

        before = requests().size();
        started = firecracker.restore(spec, state);
        List<String> loaded = requests().subList(before, requests().size());
        assertEquals(1, loaded.size(), "the load is the new process's first and only request: " + loaded);
        assertTrue(loaded.get(0).startsWith("PUT /snapshot/load ") && loaded.get(0).contains("\"resume_vm\":true")
                && loaded.get(0).contains("\"backend_type\":\"File\""), loaded.get(0));
        assertTrue(started.alive());
        assertFalse(Files.exists(ctl.resolve(FirecrackerState.MEMORY)), "the lent links go once it is loaded");
        firecracker.agentChannel(vmDir).open(Duration.ofSeconds(5)).close();
    }

    @Test
    void aCloneLoadsAnotherVmsStateWithItsOwnTapAndOnlyUnderTheJailer() throws Exception {
        started = firecracker.start(spec);
        Path state = Files.createDirectories(vmDir.resolve("state"));
        firecracker.save(spec, started, state);
        // Without the jail, the snapshot names the builder's disk by its host path: refused.
        HypervisorException e = assertThrows(HypervisorException.class, () -> firecracker.restoreClone(spec, state));
        assertTrue(e.getMessage().contains("jailer"), e.getMessage());
        // The request a clone sends (checked against the swagger by the fake): the TAP overridden.
        started = null;
        firecracker.setLink(spec, true); // no link control in Firecracker: nothing is sent
    }

    @Test
    void aSnapshotFileThatIsALinkIsNotTaken() throws Exception {
        Path state = Files.createDirectories(vmDir.resolve("state"));
        Files.writeString(ctl.resolve(FirecrackerState.VMSTATE), "vmstate");
        Files.createSymbolicLink(ctl.resolve(FirecrackerState.MEMORY), Path.of("/etc/shadow"));
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> FirecrackerState.take(ctl, state, 1 << 20));
        assertTrue(e.getMessage().contains("not a file Firecracker wrote"), e.getMessage());
    }

    @Test
    void cleanStopSendsCtrlAltDelAndWaitsForFirecrackerToExit() throws Exception {
        started = firecracker.start(spec);
        GuestShutdown.Outcome outcome = launcher.powerOff(started, () -> firecracker.requestPowerOff(spec));
        assertTrue(outcome.clean(), outcome.describe(spec.id()));
        List<String> log = requests();
        assertEquals(List.of(), log.stream().filter(l -> l.startsWith("VIOLATION")).toList());
        assertEquals("PUT /actions {\"action_type\":\"SendCtrlAltDel\"}", log.get(log.size() - 1));
        assertFalse(started.alive());
    }

    @Test
    void aBinaryThatExitsAtOnceIsReported() throws Exception {
        FirecrackerHypervisor broken = new FirecrackerHypervisor(Path.of("/bin/false"), Optional.empty(), launcher);
        HypervisorException e = assertThrows(HypervisorException.class, () -> started = broken.start(spec));
        assertTrue(e.getMessage().contains("exited during start"), e.getMessage());
    }

    @Test
    void pauseOfAVmThatIsNotRunningIsAnError() throws Exception {
        Files.writeString(ctl.resolve("fake-fault"), "PUT /actions");
        assertThrows(HypervisorException.class, () -> started = firecracker.start(spec));
        HypervisorException e = assertThrows(HypervisorException.class, () -> firecracker.pause(spec));
        assertTrue(e.getMessage().startsWith("firecracker PATCH /vm failed"), e.getMessage());
    }

    /** The jailer beside firecracker: its documented usage, the jail's files and paths, a clean stop. */
    @Test
    void underTheJailerTheVmIsConfiguredWithPathsInsideTheJail() throws Exception {
        Path jailerBin = launcher(tmp.resolve("jailer"), FakeJailer.class);
        VmSpec jailedSpec = jailedSpec();
        Jailer jailer = new Jailer(jailerBin, tmp.resolve("firecracker"), "64055", "64055");
        FirecrackerHypervisor jailed = new FirecrackerHypervisor(tmp.resolve("firecracker"), Optional.of(jailer),
                launcher);
        assertEquals(List.of(jailerBin.toString(), "--id", spec.id(), "--exec-file", tmp.resolve("firecracker").toString(),
                "--uid", "64055", "--gid", "64055", "--chroot-base-dir", vmDir.resolve("jail").toString(),
                "--", "--api-sock", "/" + spec.id() + ".sock"), jailer.argv(jailedSpec));

        started = jailed.start(jailedSpec);
        assertTrue(started.alive(), "the process is recognised by how its command line ends");
        Path root = vmDir.resolve("jail/firecracker/" + spec.id() + "/root");
        List<String> log = Files.readAllLines(root.resolve("fake-requests.log"));
        assertEquals(List.of(), log.stream().filter(l -> l.startsWith("VIOLATION")).toList());
        assertTrue(log.get(1).contains("\"kernel_image_path\":\"/vmlinux\"") && log.get(1).contains("\"initrd_path\":\"/initrd.img\""),
                log.get(1));
        assertTrue(log.get(2).contains("\"path_on_host\":\"/rootfs.ext4\""), log.get(2));
        // The disk is the VM's own file (a hard link), not a copy: the guest's writes land in it.
        assertEquals(Files.getAttribute(vmDir.resolve("rootfs.ext4"), "unix:ino"),
                Files.getAttribute(root.resolve("rootfs.ext4"), "unix:ino"));
        // The vsock's socket is inside the jail, and the host finds it from the VM's directory.
        assertTrue(log.get(5).contains("\"uds_path\":\"/vsock.sock\""), log.get(5));
        jailed.agentChannel(vmDir).open(java.time.Duration.ofSeconds(5)).close();
        // The stop path finds the jailed socket from the VM's directory alone (as the ExecStop helper does).
        GuestShutdown.Outcome outcome = launcher.powerOff(started, () -> firecracker.requestPowerOff(jailedSpec));
        assertTrue(outcome.clean(), outcome.describe(spec.id()));
        assertFalse(started.alive());
    }

    /** A VM of its own files (kernel, initrd, disk) for the jailer's tests. */
    private VmSpec jailedSpec() throws IOException {
        Path kernel = Files.writeString(tmp.resolve("vmlinux"), "kernel");
        Path initrd = Files.writeString(tmp.resolve("initrd.img"), "initrd");
        Files.writeString(vmDir.resolve("rootfs.ext4"), "disk");
        return new VmSpec(spec.id(), spec.hostname(), vmDir, kernel, Optional.of(initrd),
                vmDir.resolve("rootfs.ext4"), spec.tap(), spec.mac(), spec.guestAddress(), spec.gateway(),
                spec.netmask(), spec.nameservers(), 2, 512);
    }

    @Test
    void underTheJailerACloneLoadsTheStateWithItsOwnTap() throws Exception {
        VmSpec jailedSpec = jailedSpec();
        FirecrackerHypervisor jailed = new FirecrackerHypervisor(tmp.resolve("firecracker"), Optional.of(
                new Jailer(launcher(tmp.resolve("jailer"), FakeJailer.class), tmp.resolve("firecracker"), "64055",
                        "64055")), launcher);
        started = jailed.start(jailedSpec);
        Path state = Files.createDirectories(vmDir.resolve("state"));
        jailed.save(jailedSpec, started, state);
        started = jailed.restoreClone(jailedSpec, state);
        Path root = vmDir.resolve("jail/firecracker/" + spec.id() + "/root");
        List<String> log = Files.readAllLines(root.resolve("fake-requests.log"));
        assertEquals(List.of(), log.stream().filter(l -> l.startsWith("VIOLATION")).toList());
        String load = log.get(log.size() - 1);
        assertTrue(load.startsWith("PUT /snapshot/load ") && load.contains("\"network_overrides\":[{\"iface_id\":\"eth0\","
                + "\"host_dev_name\":\"" + spec.tap() + "\"}]"), load);
        assertTrue(started.alive());
    }

    @Test
    void faultMessagesAreExtracted() {
        assertEquals("bad drive", FirecrackerClient.fault("{\"fault_message\":\"bad drive\"}"));
        assertEquals("plain text", FirecrackerClient.fault("plain text"));
        assertEquals("(no fault message)", FirecrackerClient.fault(""));
    }
}
