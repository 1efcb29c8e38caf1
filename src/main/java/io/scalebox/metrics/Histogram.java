package io.scalebox.metrics;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A histogram of seconds with fixed buckets, per label set; lock-free like {@link Counter}. */
public final class Histogram {
    /** API requests: half a millisecond to ten seconds. */
    public static final double[] REQUEST_SECONDS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
        1, 2.5, 5, 10};
    /** Engine operations: ten milliseconds (a stopped VM's start) to five minutes (a forced stop, a big copy). */
    public static final double[] OPERATION_SECONDS = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

    private final String name;
    private final String help;
    private final double[] bounds;
    private final List<String> labelNames;
    private final Map<List<String>, Cell> cells = new ConcurrentHashMap<>();

    /** The counts per bucket (the last one is +Inf) and the sum. */
    private record Cell(LongAdder[] counts, DoubleAdder sum) {
    }

    public Histogram(String name, String help, double[] bounds, String... labelNames) {
        this.name = name;
        this.help = help;
        this.bounds = Arrays.copyOf(bounds, bounds.length + 1);
        this.bounds[bounds.length] = Double.POSITIVE_INFINITY;
        this.labelNames = List.of(labelNames);
    }

    public void observe(double seconds, String... labelValues) {
        Cell cell = cells.computeIfAbsent(Series.key(labelNames, labelValues), k -> {
            LongAdder[] counts = new LongAdder[bounds.length];
            Arrays.setAll(counts, i -> new LongAdder());
            return new Cell(counts, new DoubleAdder());
        });
        int i = 0;
        while (seconds > bounds[i]) {
            i++;
        }
        cell.counts()[i].increment();
        cell.sum().add(seconds);
    }

    HistogramSnapshot snapshot() {
        HistogramSnapshot.Builder b = HistogramSnapshot.builder().name(name).help(help);
        cells.forEach((labels, cell) -> {
            long[] counts = Arrays.stream(cell.counts()).mapToLong(LongAdder::sum).toArray();
            b.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                    .labels(Series.labels(labelNames, labels))
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, counts))
                    .sum(cell.sum().sum()).build());
        });
        return b.build();
    }
}
