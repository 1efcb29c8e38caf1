package io.scalebox.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * CPU time and memory of a hypervisor. In a systemd unit: its cgroup (every thread and child
 * of the VM, the page cache it caused included); otherwise the process from /proc (resident
 * set). Nothing is started; a process that is gone has no figures.
 */
public final class ProcessUsage {
    /** Linux reports /proc CPU times in USER_HZ, 100 on every architecture Debian ships. */
    private static final double TICKS_PER_SECOND = 100;

    /** CPU seconds used since the process (or unit) started, and memory in use now. */
    public record Usage(double cpuSeconds, long memoryBytes) {
    }

    private final Path proc;
    private final Path cgroupRoot;

    public ProcessUsage(Path proc, Path cgroupRoot) {
        this.proc = proc;
        this.cgroupRoot = cgroupRoot;
    }

    public static ProcessUsage host() {
        return new ProcessUsage(Path.of("/proc"), Path.of("/sys/fs/cgroup"));
    }

    /** @param inUnit the process is a systemd unit's main process (its cgroup is the VM's alone) */
    public Optional<Usage> of(long pid, boolean inUnit) {
        try {
            return Optional.of(inUnit ? fromCgroup(pid) : fromProc(pid));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The unit's figures from its cgroup: the unified hierarchy (mounted at the root, or at
     * {@code unified/} on a hybrid host), else the v1 cpuacct and memory controllers; a figure
     * no hierarchy accounts for the unit (v1 controllers not delegated) comes from /proc.
     */
    private Usage fromCgroup(long pid) throws IOException {
        Map<String, String> groups = new HashMap<>();
        for (String line : Files.readAllLines(proc.resolve(pid + "/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f.length == 3) {
                for (String controller : f[1].split(",")) {
                    groups.put(controller, f[2]);
                }
            }
        }
        Path unified = Files.exists(cgroupRoot.resolve("cgroup.controllers")) ? cgroupRoot : cgroupRoot.resolve("unified");
        Optional<Path> v2 = within(unified, groups.get(""));
        Optional<Path> cpuacct = within(cgroupRoot.resolve("cpuacct"), groups.get("cpuacct"));
        Optional<Path> v1Memory = within(cgroupRoot.resolve("memory"), groups.get("memory"));
        Optional<Double> cpu;
        if (v2.isPresent() && Files.isReadable(v2.get().resolve("cpu.stat"))) {
            cpu = Optional.of(field(v2.get().resolve("cpu.stat"), "usage_usec") / 1e6);
        } else if (cpuacct.isPresent()) {
            cpu = Optional.of(number(cpuacct.get().resolve("cpuacct.usage")) / 1e9);
        } else {
            cpu = Optional.empty();
        }
        Optional<Long> memory;
        if (v2.isPresent() && Files.isReadable(v2.get().resolve("memory.current"))) {
            memory = Optional.of(number(v2.get().resolve("memory.current")));
        } else if (v1Memory.isPresent()) {
            memory = Optional.of(number(v1Memory.get().resolve("memory.usage_in_bytes")));
        } else {
            memory = Optional.empty();
        }
        if (cpu.isPresent() && memory.isPresent()) {
            return new Usage(cpu.get(), memory.get());
        }
        Usage own = fromProc(pid);
        return new Usage(cpu.orElse(own.cpuSeconds()), memory.orElse(own.memoryBytes()));
    }

    /** A cgroup file holding one number. */
    private static long number(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).trim());
    }

    /** The unit's own group in a hierarchy; empty for the root (a controller not delegated to it). */
    private static Optional<Path> within(Path hierarchy, String group) throws IOException {
        if (group == null || group.equals("/") || !group.startsWith("/")) {
            return Optional.empty();
        }
        Path p = hierarchy.resolve(group.substring(1)).normalize();
        if (!p.startsWith(hierarchy)) {
            throw new IOException("cgroup path outside " + hierarchy + ": " + group);
        }
        return Files.isDirectory(p) ? Optional.of(p) : Optional.empty();
    }

    private static long field(Path file, String key) throws IOException {
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith(key + " ")) {
                return Long.parseLong(line.substring(key.length() + 1).trim());
            }
        }
        throw new IOException("no " + key + " in " + file);
    }

    private Usage fromProc(long pid) throws IOException {
        String stat = Files.readString(proc.resolve(pid + "/stat"));
        // The command name may hold spaces and parentheses: fields are counted after the last ')'.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
        long rssKib = 0;
        for (String line : Files.readAllLines(proc.resolve(pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                rssKib = Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        return new Usage(ticks / TICKS_PER_SECOND, rssKib * 1024);
    }
}
