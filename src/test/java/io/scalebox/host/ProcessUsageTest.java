package io.scalebox.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a VM's CPU and memory figures come from, over stand-in /proc and cgroup trees. */
class ProcessUsageTest {
    @TempDir
    Path root;

    @Test
    void aProcessOutsideAUnitIsReadFromProc() throws Exception {
        Path pid = Files.createDirectories(root.resolve("proc/42"));
        // A command name with a space and a parenthesis must not shift the fields.
        Files.writeString(pid.resolve("stat"), "42 (qemu sys) x) S 1 42 42 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 3 0 1 0\n");
        Files.writeString(pid.resolve("status"), "Name:\tqemu\nVmRSS:\t  204800 kB\nThreads:\t3\n");
        ProcessUsage usage = new ProcessUsage(root.resolve("proc"), root.resolve("cgroup"));
        assertEquals(Optional.of(new ProcessUsage.Usage(4.0, 204800L * 1024)), usage.of(42, false));
    }

    @Test
    void aUnitIsReadFromItsCgroup() throws Exception {
        Path pid = Files.createDirectories(root.resolve("proc/7"));
        Files.writeString(pid.resolve("cgroup"), "0::/scalebox.slice/scalebox-vm-abc.service\n");
        Files.createDirectories(root.resolve("cgroup"));
        Files.writeString(root.resolve("cgroup/cgroup.controllers"), "cpu memory pids\n");
        Path group = Files.createDirectories(root.resolve("cgroup/scalebox.slice/scalebox-vm-abc.service"));
        Files.writeString(group.resolve("cpu.stat"), "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
        Files.writeString(group.resolve("memory.current"), "536870912\n");
        ProcessUsage usage = new ProcessUsage(root.resolve("proc"), root.resolve("cgroup"));
        assertEquals(Optional.of(new ProcessUsage.Usage(2.5, 536870912L)), usage.of(7, true));
    }

    @Test
    void onAHybridHostCpuComesFromTheUnifiedTreeAndUndelegatedMemoryFromProc() throws Exception {
        Path pid = Files.createDirectories(root.resolve("proc/9"));
        Files.writeString(pid.resolve("cgroup"), "9:name=systemd:/scalebox.slice/u.service\n4:memory:/\n"
                + "2:cpuacct:/\n0::/scalebox.slice/u.service\n");
        Files.writeString(pid.resolve("stat"), "9 (qemu) S 1 9 9 0 -1 0 0 0 0 0 100 100 0 0 20 0 3 0 1 0\n");
        Files.writeString(pid.resolve("status"), "VmRSS:\t1024 kB\n");
        Path unified = Files.createDirectories(root.resolve("cgroup/unified/scalebox.slice/u.service"));
        Files.writeString(unified.resolve("cpu.stat"), "usage_usec 7000000\n");
        ProcessUsage usage = new ProcessUsage(root.resolve("proc"), root.resolve("cgroup"));
        assertEquals(Optional.of(new ProcessUsage.Usage(7.0, 1024L * 1024)), usage.of(9, true));
    }

    @Test
    void v1ControllersDelegatedToTheUnitAreRead() throws Exception {
        Path pid = Files.createDirectories(root.resolve("proc/11"));
        Files.writeString(pid.resolve("cgroup"), "4:memory:/scalebox.slice/u.service\n"
                + "1:cpu,cpuacct:/scalebox.slice/u.service\n0::/\n");
        Path memory = Files.createDirectories(root.resolve("cgroup/memory/scalebox.slice/u.service"));
        Files.writeString(memory.resolve("memory.usage_in_bytes"), "4096\n");
        Path cpu = Files.createDirectories(root.resolve("cgroup/cpuacct/scalebox.slice/u.service"));
        Files.writeString(cpu.resolve("cpuacct.usage"), "1500000000\n");
        ProcessUsage usage = new ProcessUsage(root.resolve("proc"), root.resolve("cgroup"));
        assertEquals(Optional.of(new ProcessUsage.Usage(1.5, 4096)), usage.of(11, true));
    }

    @Test
    void aGoneProcessOrAPathOutsideTheHierarchyHasNoFigures() throws Exception {
        ProcessUsage usage = new ProcessUsage(root.resolve("proc"), root.resolve("cgroup"));
        assertEquals(Optional.empty(), usage.of(99, false));
        Path pid = Files.createDirectories(root.resolve("proc/8"));
        Files.writeString(pid.resolve("cgroup"), "0::/../../etc\n");
        assertEquals(Optional.empty(), usage.of(8, true));
    }
}
