package io.scalebox.metrics;

import io.prometheus.metrics.model.snapshots.Labels;
import java.util.List;

/** Label sets of one metric: the key its cells are kept under, and the client's form of it. */
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
}
