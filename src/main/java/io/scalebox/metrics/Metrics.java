package io.scalebox.metrics;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The daemon's own instruments (API requests, engine operations, reconciliation) and the
 * Prometheus text rendering of them together with the figures read at scrape time. Recording
 * costs a map lookup and an adder; the client library is loaded at the first scrape only
 * (docs/benchmarks.md "Metrics": it costs about 90 ms when its registry is set up at start).
 */
public final class Metrics {
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** The route label of a request that matched no route (401 before routing, 404). */
    public static final String NO_ROUTE = "none";

    private final Counter requests = new Counter("scalebox_api_requests",
            "API requests by method, route pattern and status", "method", "route", "status");
    private final Histogram requestSeconds = new Histogram("scalebox_api_request_duration_seconds",
            "API request latency, from the request's arrival to its response", Histogram.REQUEST_SECONDS,
            "method", "route");
    private final Counter errors = new Counter("scalebox_api_errors",
            "API error responses by error code (README: error codes)", "code");
    private final Counter operations = new Counter("scalebox_operations",
            "Engine operations by kind (create, start, stop, delete, snapshot) and result (ok, failed)",
            "operation", "result");
    private final Histogram operationSeconds = new Histogram("scalebox_operation_duration_seconds",
            "Engine operation durations, successful or not", Histogram.OPERATION_SECONDS, "operation");
    private final Counter failures = new Counter("scalebox_operation_failures",
            "Failed engine operations by error code", "operation", "code");
    private final Histogram createPhases = new Histogram("scalebox_create_phase_duration_seconds",
            "Duration of each phase of a successful create (clone, key, boot or restore, identity, record, network)",
            Histogram.OPERATION_SECONDS, "phase");
    private final Counter warmCreates = new Counter("scalebox_warm_creates",
            "Creates from a template's warm state by result (restored, or fell_back to a boot)", "result");
    private final Counter crashes = new Counter("scalebox_vm_crashes",
            "VMs whose hypervisor exited without a stop request (guest powered off or panicked, process killed)");
    private final Counter reconcile = new Counter("scalebox_reconcile_actions",
            "What the daemon repaired or recovered: at start (re-attached, orphans removed, ...) and while running"
                    + " (firewall restored)", "action");

    private final Counter execs = new Counter("scalebox_execs",
            "Commands run in VMs through their agents, by mode (foreground, background) and end (exited, signaled,"
                    + " timed_out, failed)", "mode", "end");
    private final Histogram execSeconds = new Histogram("scalebox_exec_duration_seconds",
            "Duration of commands run in VMs, from the request to their end", Histogram.OPERATION_SECONDS, "mode");
    private final Counter guestBytes = new Counter("scalebox_guest_bytes",
            "Bytes through VM agents: what (file, stdin, output) and which way (to_guest, from_guest)", "what",
            "direction");
    private final Counter files = new Counter("scalebox_file_operations",
            "File operations in VMs (put, get, list, delete) by result (ok, failed)", "operation", "result");
    private final Counter agentErrors = new Counter("scalebox_agent_errors",
            "Agent calls that failed, by kind (unavailable, busy, timeout, protocol, disabled, failed)", "kind");

    /** Methods counted by name; any other (a client can send any token) is "other", so series stay bounded. */
    private static final java.util.Set<String> METHODS = java.util.Set.of("GET", "HEAD", "POST", "PUT", "PATCH",
            "DELETE", "OPTIONS");

    public void crashed() {
        crashes.inc();
    }

    public long crashes() {
        return crashes.value();
    }

    /** "100" to "599", made once: a request's status label without a new string each time. */
    private static final String[] STATUS = java.util.stream.IntStream.range(100, 600).mapToObj(Integer::toString)
            .toArray(String[]::new);

    public void request(String method, String route, int status, long nanos) {
        String m = METHODS.contains(method) ? method : "other";
        requests.inc(m, route, status >= 100 && status < 600 ? STATUS[status - 100] : Integer.toString(status));
        requestSeconds.observe(nanos / 1e9, m, route);
    }

    public void error(String code) {
        errors.inc(code);
    }

    /** @param failure the error code when it failed */
    public void operation(String operation, long nanos, Optional<String> failure) {
        operations.inc(operation, failure.isPresent() ? "failed" : "ok");
        operationSeconds.observe(nanos / 1e9, operation);
        failure.ifPresent(code -> failures.inc(operation, code));
    }

    public void createPhase(String phase, long nanos) {
        createPhases.observe(nanos / 1e9, phase);
    }

    public void warmCreate(String result) {
        warmCreates.inc(result);
    }

    public long warmCreates(String result) {
        return warmCreates.value(result);
    }

    public void exec(String mode, String end, long nanos) {
        execs.inc(mode, end);
        execSeconds.observe(nanos / 1e9, mode);
    }

    public long execs(String mode, String end) {
        return execs.value(mode, end);
    }

    public void guestBytes(String what, String direction, long n) {
        guestBytes.add(n, what, direction);
    }

    public void fileOperation(String operation, boolean ok) {
        files.inc(operation, ok ? "ok" : "failed");
    }

    public void agentError(String kind) {
        agentErrors.inc(kind);
    }

    public void reconciled(String action) {
        reconcile.inc(action);
    }

    public long requests(String method, String route, int status) {
        return requests.value(method, route, Integer.toString(status));
    }

    public long operations(String operation, String result) {
        return operations.value(operation, result);
    }

    public long reconcileActions(String action) {
        return reconcile.value(action);
    }

    /** The text format of everything: the instruments, then {@code readings}. */
    public void write(OutputStream out, Readings readings) throws IOException {
        List<MetricSnapshot> all = new ArrayList<>(List.of(requests.snapshot(), requestSeconds.snapshot(),
                errors.snapshot(), operations.snapshot(), operationSeconds.snapshot(), failures.snapshot(),
                createPhases.snapshot(), warmCreates.snapshot(), crashes.snapshot(), reconcile.snapshot(), execs.snapshot(),
                execSeconds.snapshot(), guestBytes.snapshot(), files.snapshot(), agentErrors.snapshot()));
        all.addAll(readings.snapshots());
        PrometheusTextFormatWriter.create().write(out, new MetricSnapshots(all));
    }
}
