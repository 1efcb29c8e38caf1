package io.scalebox.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Host figures for /info, read from /proc and the data directory's filesystem. CPU use
 * is the busy share between two readings of /proc/stat, at least a second apart.
 */
public final class HostStats {
    /** Bytes of a filesystem. */
    public record Storage(long total, long used, long free) {
    }

    /** Bytes of memory; {@code free} is what the kernel calls available. */
    public record Memory(long total, long free) {
    }

    private record CpuSample(long busy, long total, long atMillis) {
    }

    private final Path procDir;
    private CpuSample last;
    private double lastPercent;

    public HostStats(Path procDir) {
        this.procDir = procDir;
        this.last = readCpu();
    }

    /** The filesystem holding {@code dir} (its nearest existing ancestor, if it is missing). */
    public Storage storage(Path dir) throws IOException {
        var store = Files.getFileStore(nearestExisting(dir));
        long total = store.getTotalSpace();
        long free = store.getUsableSpace();
        return new Storage(total, total - store.getUnallocatedSpace(), free);
    }

    /** {@code dir} itself or its nearest existing ancestor: where its files would live. */
    public static Path nearestExisting(Path dir) {
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p == null ? Path.of("/") : p;
    }

    public Memory memory() throws IOException {
        long total = 0;
        long available = 0;
        for (String line : Files.readAllLines(procDir.resolve("meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                total = kib(line) * 1024;
            } else if (line.startsWith("MemAvailable:")) {
                available = kib(line) * 1024;
            }
        }
        return new Memory(total, available);
    }

    /** Busy CPU share in percent, one decimal, over the time since the previous reading. */
    public synchronized double cpuPercent() {
        if (last != null && System.currentTimeMillis() - last.atMillis() < 1000) {
            return lastPercent; // too soon for a new figure: no need to read /proc/stat
        }
        CpuSample now = readCpu();
        if (now == null || last == null) {
            return 0;
        }
        if (now.atMillis() - last.atMillis() >= 1000 && now.total() > last.total()) {
            double busy = (double) (now.busy() - last.busy()) / (now.total() - last.total());
            lastPercent = Math.round(busy * 1000) / 10.0;
            last = now;
        }
        return lastPercent;
    }

    private CpuSample readCpu() {
        try {
            // Only the first line: "cpu  user nice system idle iowait irq softirq steal ..." (the
            // rest of the file, the interrupt counters above all, is long).
            String first;
            try (var reader = Files.newBufferedReader(procDir.resolve("stat"))) {
                first = reader.readLine();
            }
            String[] f = first.trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
            return new CpuSample(total - idle, total, System.currentTimeMillis());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
}
