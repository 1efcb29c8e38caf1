package io.scalebox.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The text the daemon's instruments render (promtool checks the real daemon's in metrics.sh). */
class MetricsTest {

    private static String render(Metrics m, Readings r) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.write(out, r);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void histogramBucketsAreCumulativeWithCountAndSum() throws Exception {
        Metrics m = new Metrics();
        m.request("GET", "/vms", 200, 300_000);     // 0.3 ms: first bucket
        m.request("GET", "/vms", 200, 3_000_000);   // 3 ms
        m.request("GET", "/vms", 200, 20_000_000_000L); // 20 s: only +Inf
        String text = render(m, new Readings());
        assertTrue(text.contains("scalebox_api_request_duration_seconds_bucket{method=\"GET\",route=\"/vms\",le=\"5.0E-4\"} 1")
                || text.contains("scalebox_api_request_duration_seconds_bucket{method=\"GET\",route=\"/vms\",le=\"0.0005\"} 1"),
                text);
        assertTrue(text.contains("route=\"/vms\",le=\"0.005\"} 2"), text);
        assertTrue(text.contains("route=\"/vms\",le=\"10.0\"} 2"), text);
        assertTrue(text.contains("route=\"/vms\",le=\"+Inf\"} 3"), text);
        assertTrue(text.contains("scalebox_api_request_duration_seconds_count{method=\"GET\",route=\"/vms\"} 3"), text);
        assertTrue(text.contains("scalebox_api_requests_total{method=\"GET\",route=\"/vms\",status=\"200\"} 3"), text);
        assertTrue(text.contains("# TYPE scalebox_api_request_duration_seconds histogram"), text);
    }

    @Test
    void readingsAreRenderedWithEscapedLabels() throws Exception {
        Readings r = new Readings();
        r.gauge("scalebox_vm_vcpus", "vCPUs", "id", "name").set(2, "vm-1", "a\"b\\c");
        r.counter("scalebox_vm_cpu_seconds", "CPU", "id").set(1.5, "vm-1");
        String text = render(new Metrics(), r);
        assertTrue(text.contains("scalebox_vm_vcpus{id=\"vm-1\",name=\"a\\\"b\\\\c\"} 2.0"), text);
        assertTrue(text.contains("# TYPE scalebox_vm_cpu_seconds_total counter"), text);
        assertTrue(text.contains("scalebox_vm_cpu_seconds_total{id=\"vm-1\"} 1.5"), text);
    }

    @Test
    void operationsCountOutcomesAndFailureCodes() throws Exception {
        Metrics m = new Metrics();
        m.operation("create", 1_000_000_000L, Optional.empty());
        m.operation("create", 2_000_000_000L, Optional.of("capacity_ports"));
        assertEquals(1, m.operations("create", "ok"));
        assertEquals(1, m.operations("create", "failed"));
        String text = render(m, new Readings());
        assertTrue(text.contains("scalebox_operation_failures_total{code=\"capacity_ports\",operation=\"create\"} 1"),
                text);
        assertTrue(text.contains("scalebox_operation_duration_seconds_sum{operation=\"create\"} 3.0"), text);
    }

    @Test
    void aWrongNumberOfLabelsIsAProgrammingError() {
        Counter c = new Counter("x", "x", "a", "b");
        assertThrows(IllegalArgumentException.class, () -> c.inc("only-one"));
    }
}
