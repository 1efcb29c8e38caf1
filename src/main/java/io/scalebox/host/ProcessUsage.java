package io.scalebox.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    private Usage fromCgroup(long pid) throws IOException {
        Path group = cgroupOf(pid);
        long usec = 0;
        for (String line : Files.readAllLines(group.resolve("cpu.stat"))) {
            if (line.startsWith("usage_usec ")) {
                usec = Long.parseLong(line.substring("usage_usec ".length()).trim());
            }
        }
        long memory = Long.parseLong(Files.readString(group.resolve("memory.current")).trim());
        return new Usage(usec / 1e6, memory);
    }

    /** The unified (v2) hierarchy's line of /proc/PID/cgroup: {@code 0::/scalebox.slice/x.service}. */
    private Path cgroupOf(long pid) throws IOException {
        for (String line : Files.readAllLines(proc.resolve(pid + "/cgroup"))) {
            if (line.startsWith("0::/")) {
                Path group = cgroupRoot.resolve(line.substring(4)).normalize();
                if (!group.startsWith(cgroupRoot)) {
                    throw new IOException("cgroup path outside " + cgroupRoot + ": " + line);
                }
                return group;
            }
        }
        throw new IOException("no cgroup v2 entry for " + pid);
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
