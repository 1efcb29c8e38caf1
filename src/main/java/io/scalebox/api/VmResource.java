package io.scalebox.api;

import io.scalebox.config.Config;
import io.scalebox.vm.Snapshot;
import io.scalebox.vm.Vm;
import io.scalebox.vm.VmManager;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The VM endpoints of api.md: create, list, get, delete, snapshot, stop, start. */
public final class VmResource {
    private final Config config;
    private final VmManager manager;
    private final String hostIp;
    private final VmRequests requests;

    /** In fleet mode: this host's id and status, added to every view ("host", "host_status"). */
    private final java.util.function.Supplier<Map<String, String>> hostFields;

    public VmResource(Config config, VmManager manager, String hostIp) {
        this(config, manager, hostIp, Map::of);
    }

    public VmResource(Config config, VmManager manager, String hostIp,
                      java.util.function.Supplier<Map<String, String>> hostFields) {
        this.hostFields = hostFields;
        this.config = config;
        this.manager = manager;
        this.hostIp = hostIp;
        this.requests = new VmRequests(config);
    }

    /** GET /vms as rendered at a version of the VM records (read before the list, so never newer than it). */
    private final RenderedJson rendered = new RenderedJson();

    private byte[] listJson() {
        return rendered.get(manager.version(), () -> Map.of("vms", manager.list().stream().map(this::view).toList()));
    }

    public List<Route> routes() {
        return List.of(
                Route.authenticated("GET", "/vms", r -> Response.json(listJson())).onIoThread(),
                Route.authenticated("POST", "/vms", r -> {
                    com.google.gson.JsonObject body = r.jsonObject();
                    if (body.has("host")) {
                        // Fleet mode answers POST /vms itself (FleetResource); here there is no other host.
                        throw ApiException.badRequest("invalid_field", "host: this server is not part of a fleet"
                                + " (FLEET_ETCD is not set)");
                    }
                    return Response.created(view(manager.create(requests.create(body))));
                }),
                Route.authenticated("GET", "/vms/{id}", r -> Response.ok(view(manager.get(r.param("id"))))),
                Route.authenticated("DELETE", "/vms/{id}", r -> {
                    manager.delete(r.param("id"));
                    return Response.noContent();
                }),
                Route.authenticated("POST", "/vms/{id}/snapshot", this::snapshot),
                // api.md's order: an unknown VM is a 404 before the body is looked at.
                Route.authenticated("POST", "/vms/{id}/stop", r -> {
                    Vm vm = manager.get(r.param("id"));
                    return Response.ok(view(manager.stop(vm.id(), VmRequests.stopForce(r.jsonObject()))));
                }),
                Route.authenticated("POST", "/vms/{id}/start", r -> {
                    Vm vm = manager.get(r.param("id"));
                    return Response.ok(view(manager.start(vm.id(), VmRequests.startDiscardState(r.jsonObject()))));
                }),
                // Slow: they write or read the guest's whole memory.
                Route.authenticated("POST", "/vms/{id}/pause", r -> Response.ok(view(manager.pause(r.param("id")))))
                        .slowly(),
                Route.authenticated("POST", "/vms/{id}/resume", r -> Response.ok(view(manager.resume(r.param("id")))))
                        .slowly(),
                Route.authenticated("GET", "/vms/{id}/console", this::console));
    }

    /**
     * The newest console output: {@code ?lines=N} (default 100, at most 10000) or
     * {@code ?bytes=N} (at most 1 MiB); never more than 1 MiB is read.
     */
    private Response console(Request r) throws ApiException, io.scalebox.vm.VmException {
        Vm vm = manager.get(r.param("id"));
        if (r.query("lines").isPresent() && r.query("bytes").isPresent()) {
            throw ApiException.badRequest("invalid_field", "give lines or bytes, not both");
        }
        int bytes = r.query("bytes").isPresent() ? queryInt(r, "bytes", MAX_CONSOLE_BYTES) : MAX_CONSOLE_BYTES;
        String text = manager.console(vm.id(), bytes);
        if (r.query("bytes").isEmpty()) {
            int lines = r.query("lines").isPresent() ? queryInt(r, "lines", 10_000) : 100;
            text = lastLines(text, lines);
        }
        return Response.ok(Json.object("id", vm.id(), "name", vm.name(), "console", text));
    }

    private static final int MAX_CONSOLE_BYTES = 1 << 20;

    private static int queryInt(Request r, String name, int max) throws ApiException {
        String v = r.query(name).orElseThrow();
        if (!v.matches("[0-9]{1,7}") || Integer.parseInt(v) < 1 || Integer.parseInt(v) > max) {
            throw ApiException.badRequest("invalid_field", name + " must be a whole number from 1 to " + max);
        }
        return Integer.parseInt(v);
    }

    /** The last {@code n} lines of {@code text} (a final newline does not start another line). */
    static String lastLines(String text, int n) {
        int end = text.endsWith("\n") ? text.length() - 1 : text.length();
        int from = end;
        for (int seen = 0; from > 0; from--) {
            if (text.charAt(from - 1) == '\n' && ++seen == n) {
                break;
            }
        }
        return text.substring(from);
    }

    private Response snapshot(Request r) throws ApiException, io.scalebox.vm.VmException {
        Vm vm = manager.get(r.param("id"));
        Snapshot s = manager.snapshot(vm.id(), VmRequests.snapshotName(r.jsonObject()));
        return Response.created(Json.object("template", s.template(), "source_vm", s.sourceVm(),
                "size_bytes", s.sizeBytes(), "created_at", Json.time(Instant.ofEpochMilli(s.createdAtMillis()))));
    }

    /** A VM as the API renders it (the fleet publishes this). */
    public Map<String, Object> publicView(Vm vm) {
        return view(vm);
    }

    Map<String, Object> view(Vm vm) {
        Map<String, Object> view = Json.object(
                "id", vm.id(),
                "name", vm.name(),
                "template", vm.template(),
                "ip", hostIp,
                "ssh_port", vm.sshPort(),
                "ssh", "ssh -p " + vm.sshPort() + " user@" + hostIp,
                "url", config.baseDomain().map(d -> "https://" + vm.name() + "." + d).orElse(null),
                "status", vm.status().name(),
                "agent", manager.agentState(vm),
                "vcpu_count", vm.vcpuCount(),
                "mem_size_mib", vm.memSizeMib(),
                "disk_size_gib", vm.diskSizeGib(),
                "created_at", Json.time(Instant.ofEpochMilli(vm.createdAtMillis())),
                // A paused VM's saved memory and devices (null otherwise).
                "paused_at", vm.saved().map(s -> Json.time(Instant.ofEpochMilli(s.savedAtMillis()))).orElse(null),
                "state_bytes", vm.saved().map(io.scalebox.vm.SavedState::bytes).orElse(null));
        view.putAll(hostFields.get());
        return view;
    }
}
