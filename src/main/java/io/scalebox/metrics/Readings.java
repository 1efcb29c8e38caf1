package io.scalebox.metrics;

import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Figures read at scrape time (host, VMs, proxies): one {@link Family} per metric, filled with
 * a value per label set, then rendered with the daemon's own instruments by {@link Metrics#write}.
 */
public final class Readings {
    private final List<Family> families = new ArrayList<>();

    /** A gauge: a value that goes up and down. */
    public Family gauge(String name, String help, String... labelNames) {
        return add(new Family(name, help, false, List.of(labelNames)));
    }

    /** A counter read from elsewhere (CPU seconds, bytes): only grows, except when its source restarts. */
    public Family counter(String name, String help, String... labelNames) {
        return add(new Family(name, help, true, List.of(labelNames)));
    }

    private Family add(Family f) {
        families.add(f);
        return f;
    }

    List<MetricSnapshot> snapshots() {
        return families.stream().map(Family::snapshot).toList();
    }

    /** One metric's values. */
    public static final class Family {
        private final String name;
        private final String help;
        private final boolean counter;
        private final List<String> labelNames;
        private final Map<List<String>, Double> values = new LinkedHashMap<>();

        private Family(String name, String help, boolean counter, List<String> labelNames) {
            this.name = name;
            this.help = help;
            this.counter = counter;
            this.labelNames = labelNames;
        }

        public Family set(double value, String... labelValues) {
            values.put(Series.key(labelNames, labelValues), value);
            return this;
        }

        private MetricSnapshot snapshot() {
            return counter ? Series.counter(name, help, labelNames, values) : Series.gauge(name, help, labelNames, values);
        }
    }
}
