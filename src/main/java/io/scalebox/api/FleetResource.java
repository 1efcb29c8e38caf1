package io.scalebox.api;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.scalebox.config.Config;
import io.scalebox.fleet.EtcdException;
import io.scalebox.fleet.FleetCreates;
import io.scalebox.fleet.FleetException;
import io.scalebox.fleet.FleetHost;
import io.scalebox.fleet.FleetNode;
import io.scalebox.fleet.HostClient;
import io.scalebox.fleet.LocalVms;
import io.scalebox.fleet.Placement;
import io.scalebox.fleet.Registry;
import io.scalebox.vm.CreateRequest;
import io.scalebox.vm.Vm;
import io.scalebox.vm.VmManager;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Fleet mode's endpoints: the hosts (list, drain, undrain, remove) and the fleet-wide forms of
 * GET /vms, POST /vms and GET /templates. Listed before the one-host routes, so they answer
 * those paths (the router takes the first route that matches).
 */
public final class FleetResource {
    private static final Pattern HOST = Pattern.compile("^[a-z0-9][a-z0-9-]{0,62}$");

    private final Config config;
    private final FleetNode fleet;
    private final VmManager manager;
    private final VmResource vms;
    private final TemplateResource templates;
    private final VmRequests requests;

    public FleetResource(Config config, FleetNode fleet, VmManager manager, VmResource vms, TemplateResource templates) {
        this.config = config;
        this.fleet = fleet;
        this.manager = manager;
        this.vms = vms;
        this.templates = templates;
        this.requests = new VmRequests(config);
    }

    public List<Route> routes() {
        return List.of(
                Route.authenticated("GET", "/vms", this::list),
                Route.authenticated("POST", "/vms", this::create),
                Route.authenticated("GET", "/templates", r -> Response.ok(Map.of("templates", templateUnion()))),
                Route.authenticated("GET", "/hosts", r -> Response.ok(Map.of("hosts", hosts()))),
                Route.authenticated("POST", "/hosts/{id}/drain", r -> drain(r, true)),
                Route.authenticated("POST", "/hosts/{id}/undrain", r -> drain(r, false)),
                Route.authenticated("DELETE", "/hosts/{id}", this::remove));
    }

    /** This host's VMs as they are now, then the others' as their owners last published them. */
    private Response list(Request r) throws ApiException {
        Optional<String> host = r.query("host");
        List<Object> out = new ArrayList<>();
        for (Vm vm : manager.list()) {
            if (host.isEmpty() || host.get().equals(fleet.hostId())) {
                out.add(vms.view(vm));
            }
        }
        List<Registry.VmEntry> entries;
        boolean stale = false;
        try {
            entries = fleet.registry().vms();
        } catch (EtcdException e) {
            entries = fleet.registry().lastVms();
            stale = true;
        }
        for (Registry.VmEntry e : entries) {
            if (e.host().equals(fleet.hostId()) || host.isPresent() && !host.get().equals(e.host())) {
                continue;
            }
            Optional<FleetHost> owner = fleet.hosts().get(e.host());
            out.add(stale ? unknown(e, owner) : remoteView(e, owner));
        }
        return Response.ok(Map.of("vms", out));
    }

    /** A VM of another host as its owner published it, with the owner's state now. */
    static JsonObject remoteView(Registry.VmEntry e, Optional<FleetHost> owner) {
        if (owner.isEmpty() || !owner.get().alive()) {
            return unknown(e, owner);
        }
        JsonObject v = e.view().deepCopy();
        v.addProperty("host", e.host());
        v.addProperty("host_status", owner.get().status().key());
        return v;
    }

    private static JsonObject unknown(Registry.VmEntry e, Optional<FleetHost> owner) {
        JsonObject v = e.view().deepCopy();
        v.addProperty("host", e.host());
        v.addProperty("status", "unknown");
        v.addProperty("host_status", owner.map(h -> h.status() == FleetHost.Status.READY ? "unknown" : h.status().key())
                .orElse("removed"));
        return v;
    }

    private Response create(Request r) throws ApiException, io.scalebox.vm.VmException {
        JsonObject body = r.jsonObject();
        Optional<String> host = JsonFields.optionalString(body, "host");
        if (host.isPresent() && !HOST.matcher(host.get()).matches()) {
            throw ApiException.badRequest("invalid_host", "host must be a host id (h-...) or name from GET /hosts");
        }
        CreateRequest request = requests.create(body);
        try {
            Optional<String> reservation = r.fleetHeader(FleetCreates.RESERVATION);
            if (reservation.isPresent()) {
                if (request.name().isEmpty()) {
                    throw ApiException.badRequest("missing_field", "a relayed create carries its name");
                }
                LocalVms.Entry vm = fleet.creates().createReserved(request.name().get(), reservation.get(),
                        name -> local(request, name));
                return new Response(201, new Response.Text(Response.JSON,
                        vm.view().toString().getBytes(StandardCharsets.UTF_8)));
            }
            Placement.Shape shape = new Placement.Shape(request.template(),
                    request.vcpuCount().orElse(config.defaultVcpuCount()),
                    request.memSizeMib().orElse(config.defaultMemSizeMib()),
                    (long) request.diskSizeGib().orElse(0) << 30);
            HostClient.Reply reply = fleet.creates().create(body, shape, request.name(), host,
                    name -> local(request, name));
            return new Response(reply.status(), new Response.Text(Response.JSON,
                    reply.body().getBytes(StandardCharsets.UTF_8)));
        } catch (FleetException e) {
            throw new ApiException(e.status(), e.code(), e.getMessage(),
                    e.status() == 503 ? Map.of("Retry-After", "5") : Map.of());
        } catch (ApiException | io.scalebox.vm.VmException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private LocalVms.Entry local(CreateRequest request, String name) throws Exception {
        Vm vm = manager.create(new CreateRequest(request.template(), request.sshPublicKey(), Optional.of(name),
                request.vcpuCount(), request.memSizeMib(), request.diskSizeGib()));
        return new LocalVms.Entry(vm.id(), vm.name(), Json.GSON.toJsonTree(vms.view(vm)).getAsJsonObject());
    }

    /** Every host's templates once, each with the ids of the hosts that have it. */
    private List<Object> templateUnion() {
        Map<String, JsonObject> byName = new LinkedHashMap<>();
        for (Map<String, Object> t : templates.list()) {
            JsonObject o = Json.GSON.toJsonTree(t).getAsJsonObject();
            o.add("hosts", new JsonArray());
            byName.put(String.valueOf(t.get("name")), o);
        }
        for (FleetHost h : fleet.hosts().all()) {
            if (!h.alive()) {
                continue;
            }
            for (JsonObject t : h.templates()) {
                String name = t.get("name").getAsString();
                JsonObject o = byName.computeIfAbsent(name, n -> {
                    JsonObject c = t.deepCopy();
                    c.remove("warm");
                    c.add("hosts", new JsonArray());
                    return c;
                });
                o.getAsJsonArray("hosts").add(h.id());
            }
        }
        if (fleet.hosts().get(fleet.hostId()).map(h -> !h.alive()).orElse(true)) {
            byName.values().forEach(o -> {
                if (o.getAsJsonArray("hosts").isEmpty()) {
                    o.getAsJsonArray("hosts").add(fleet.hostId());
                }
            });
        }
        return new ArrayList<>(byName.values());
    }

    private List<Object> hosts() {
        List<Object> out = new ArrayList<>();
        boolean fresh = fleet.hosts().fresh();
        for (FleetHost h : fleet.hosts().all()) {
            JsonObject o = new JsonObject();
            o.addProperty("id", h.id());
            o.addProperty("name", h.name());
            o.addProperty("url", h.url());
            // A host that cannot read etcd knows its own state, not the others'.
            boolean self = h.id().equals(fleet.hostId());
            o.addProperty("status", self && !fleet.membership().attached() ? fleet.membership().state().key()
                    : !self && !fresh ? "unknown" : h.status().key());
            o.addProperty("version", h.version());
            o.addProperty("this_host", h.id().equals(fleet.hostId()));
            o.addProperty("joined_at", Json.time(Instant.ofEpochMilli(h.joinedAtMillis())));
            JsonObject load = new JsonObject();
            load.addProperty("cpus", h.load().cpus());
            load.addProperty("vcpus_allocated", h.load().vcpusAllocated());
            load.addProperty("mem_total_mib", h.load().memTotalMib());
            load.addProperty("mem_free_mib", h.load().memFreeMib());
            load.addProperty("mem_allocated_mib", h.load().memAllocatedMib());
            load.addProperty("disk_free_gb", Json.gb(h.load().diskFreeBytes()));
            load.addProperty("vms", h.load().vms());
            o.add("load", h.alive() ? load : null);
            JsonArray names = new JsonArray();
            h.templates().stream().map(t -> t.get("name")).forEach(names::add);
            o.add("templates", names);
            out.add(o);
        }
        return out;
    }

    private Response drain(Request r, boolean on) throws ApiException {
        try {
            fleet.drain(r.param("id"), on);
        } catch (FleetException e) {
            throw new ApiException(e.status(), e.code(), e.getMessage());
        }
        return Response.ok(hostView(r.param("id")));
    }

    private Response remove(Request r) throws ApiException {
        boolean force = r.query("force").map(v -> v.equals("true") || v.equals("1")).orElse(false);
        if (r.query("force").isPresent() && !List.of("true", "false", "1", "0").contains(r.query("force").get())) {
            throw ApiException.badRequest("invalid_field", "force must be true or false");
        }
        try {
            int dropped = fleet.remove(r.param("id"), force);
            return Response.ok(Json.object("id", r.param("id"), "status", "removed", "vm_records_dropped", dropped));
        } catch (FleetException e) {
            throw new ApiException(e.status(), e.code(), e.getMessage());
        }
    }

    private Object hostView(String id) {
        for (Object o : hosts()) {
            JsonObject h = (JsonObject) o;
            if (h.get("id").getAsString().equals(id) || h.get("name").getAsString().equals(id)) {
                return h;
            }
        }
        return Map.of("id", id);
    }

    /** What /info says of the fleet (null on a host on its own). */
    public static Map<String, Object> info(FleetNode fleet) {
        List<FleetHost> hosts = fleet.hosts().all();
        return Json.object("host_id", fleet.hostId(), "state", fleet.membership().state().key(),
                "problem", fleet.membership().problem().isEmpty() ? null : fleet.membership().problem(),
                "hosts_ready", hosts.stream().filter(h -> h.status() == FleetHost.Status.READY).count(),
                "hosts_total", hosts.stream().filter(h -> h.status() != FleetHost.Status.REMOVED).count());
    }

}
