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
        Path group = Files.createDirectories(root.resolve("cgroup/scalebox.slice/scalebox-vm-abc.service"));
        Files.writeString(group.resolve("cpu.stat"), "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
        Files.writeString(group.resolve("memory.current"), "536870912\n");
        ProcessUsage usage = new ProcessUsage(root.resolve("proc"), root.resolve("cgroup"));
        assertEquals(Optional.of(new ProcessUsage.Usage(2.5, 536870912L)), usage.of(7, true));
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
