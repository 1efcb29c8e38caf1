package io.scalebox.metrics;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import java.util.List;
import java.util.Map;

/** Label sets of one metric: the key its values are kept under, and the client's snapshots of them. */
final class Series {
    private Series() {
    }

    static List<String> key(List<String> names, String[] values) {
        if (values.length != names.size()) {
            throw new IllegalArgumentException("expected labels " + names + ", got " + values.length + " values");
        }
        return List.of(values);
    }

    static Labels labels(List<String> names, List<String> values) {
        return Labels.of(names, values);
    }

    static CounterSnapshot counter(String name, String help, List<String> names, Map<List<String>, Double> values) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        values.forEach((labels, value) -> b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                .labels(labels(names, labels)).value(value).build()));
        return b.build();
    }

    static GaugeSnapshot gauge(String name, String help, List<String> names, Map<List<String>, Double> values) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        values.forEach((labels, value) -> b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(labels(names, labels)).value(value).build()));
        return b.build();
    }
}
