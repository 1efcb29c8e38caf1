package io.scalebox.metrics;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A counter with labels. Counting is a map lookup and a {@link LongAdder} (no lock, nothing of
 * the client library loaded); the client renders it only when scraped. Label values must come
 * from small fixed sets (routes, codes), never from clients, so the series stay bounded.
 */
public final class Counter {
    private final String name;
    private final String help;
    private final List<String> labelNames;
    private final Map<List<String>, LongAdder> cells = new ConcurrentHashMap<>();

    /** @param name without the {@code _total} suffix, which the text format adds */
    public Counter(String name, String help, String... labelNames) {
        this.name = name;
        this.help = help;
        this.labelNames = List.of(labelNames);
    }

    public void inc(String... labelValues) {
        add(1, labelValues);
    }

    public void add(long n, String... labelValues) {
        cells.computeIfAbsent(Series.key(labelNames, labelValues), k -> new LongAdder()).add(n);
    }

    public long value(String... labelValues) {
        LongAdder cell = cells.get(Series.key(labelNames, labelValues));
        return cell == null ? 0 : cell.sum();
    }

    CounterSnapshot snapshot() {
        Map<List<String>, Double> sums = new LinkedHashMap<>();
        cells.forEach((labels, cell) -> sums.put(labels, (double) cell.sum()));
        return Series.counter(name, help, labelNames, sums);
    }
}
