package io.scalebox.daemon;

import com.google.gson.JsonObject;
import io.scalebox.api.FleetResource;
import io.scalebox.api.Json;
import io.scalebox.api.TemplateResource;
import io.scalebox.api.VmRelay;
import io.scalebox.api.VmResource;
import io.scalebox.config.Config;
import io.scalebox.fleet.Etcd;
import io.scalebox.fleet.EtcdTls;
import io.scalebox.fleet.FleetNode;
import io.scalebox.fleet.HostClient;
import io.scalebox.fleet.HostIdentity;
import io.scalebox.fleet.LocalVms;
import io.scalebox.host.HostStats;
import io.scalebox.vm.FaultPoints;
import io.scalebox.vm.Names;
import io.scalebox.vm.Vm;
import io.scalebox.vm.VmException;
import io.scalebox.vm.VmManager;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** Fleet mode's parts, wired from the configuration: the node, its routes, the relay and the views' host fields. */
final class FleetParts {
    private static final Logger LOG = LogManager.getLogger(FleetParts.class);

    private final FleetNode node;
    private final HostClient client;
    private final Views views;

    private FleetParts(FleetNode node, HostClient client, Views views) {
        this.node = node;
        this.client = client;
        this.views = views;
    }

    /** Reads the host id and the TLS files (a bad file stops the start, as a bad configuration does). */
    static FleetParts create(Config config, VmManager manager, HostStats stats) throws IOException {
        HostIdentity identity = HostIdentity.load(config.dataDir());
        // Read here, parsed at the first etcd call (after /health answers): a missing file stops the start.
        for (java.nio.file.Path f : java.util.stream.Stream.of(config.fleet().ca(), config.fleet().cert(),
                config.fleet().key()).flatMap(Optional::stream).toList()) {
            if (!java.nio.file.Files.isReadable(f)) {
                throw new IOException("FLEET_ETCD_CA/CERT/KEY: " + f + " cannot be read");
            }
        }
        Etcd.Tls tls = () -> config.fleet().ca().isEmpty() ? Optional.empty()
                : Optional.of(EtcdTls.context(config.fleet().ca().get(), config.fleet().cert(), config.fleet().key()));
        if (config.fleet().ca().isEmpty()) {
            LOG.warn("fleet: etcd is reached over plain http: anyone on that network can read and change the fleet's "
                    + "records; use https endpoints with FLEET_ETCD_CA, FLEET_ETCD_CERT and FLEET_ETCD_KEY");
        }
        HostClient client = new HostClient(config.apiToken());
        Views views = new Views();
        LocalVms local = new LocalVms() {
            @Override
            public List<Entry> list() {
                VmResource vms = views.vms;
                return vms == null ? List.of() : manager.list().stream()
                        .map(vm -> new Entry(vm.id(), vm.name(), view(vms, vm))).toList();
            }

            @Override
            public void delete(String id) throws VmException {
                manager.delete(id);
            }
        };
        Names names = new Names();
        FleetNode node = new FleetNode(config.fleet(), identity, tls, hostName(config, identity.id()), Version.current(),
                () -> load(config, manager, stats, views.templates), local, client,
                () -> names.newName(manager::nameExists), FaultPoints.fromEnvironment());
        return new FleetParts(node, client, views);
    }

    /** The renderings of VMs and templates, made after these parts (they need the host fields). */
    private static final class Views {
        private volatile VmResource vms;
        private volatile TemplateResource templates;
    }

    FleetNode node() {
        return node;
    }

    VmRelay relay(VmManager manager) {
        return new VmRelay(node, id -> {
            try {
                manager.get(id);
                return true;
            } catch (VmException e) {
                return false;
            }
        }, client);
    }

    /** The fleet's routes; the VMs and templates are published as these resources render them. */
    List<io.scalebox.api.Route> routes(Config config, VmManager manager, VmResource vms, TemplateResource templates) {
        views.vms = vms;
        views.templates = templates;
        return new FleetResource(config, node, manager, vms, templates).routes();
    }

    /** "host" and "host_status" of this host's VMs. */
    Map<String, String> hostFields() {
        String status = node.membership().attached()
                ? node.hosts().get(node.hostId()).map(h -> h.status().key()).orElse("ready")
                : node.membership().state().key();
        return Map.of("host", node.hostId(), "host_status", status);
    }

    private static JsonObject view(VmResource views, Vm vm) {
        return Json.GSON.toJsonTree(views.publicView(vm)).getAsJsonObject();
    }

    /** The alive record's changing part, rounded so that small moves do not make writes. */
    private static JsonObject load(Config config, VmManager manager, HostStats stats, TemplateResource templates) {
        JsonObject o = new JsonObject();
        if (templates == null) {
            return o;
        }
        int vcpus = 0;
        long mem = 0;
        List<Vm> vms = manager.list();
        for (Vm vm : vms) {
            if (vm.status() != Vm.Status.stopped) {
                vcpus += vm.vcpuCount();
                mem += vm.memSizeMib();
            }
        }
        try {
            HostStats.Memory m = stats.memory();
            o.addProperty("mem_total_mib", m.total() >> 20);
            o.addProperty("mem_free_mib", (m.free() >> 28) << 8);
            o.addProperty("disk_free_bytes", (stats.storage(config.dataDir()).free() >> 30) << 30);
        } catch (IOException e) {
            LOG.debug("fleet: host figures: {}", e.getMessage());
        }
        o.addProperty("cpus", Runtime.getRuntime().availableProcessors());
        o.addProperty("vcpus_allocated", vcpus);
        o.addProperty("mem_allocated_mib", mem);
        o.addProperty("vms", vms.size());
        o.add("templates", Json.GSON.toJsonTree(templates.list().stream()
                .map(t -> Json.object("name", t.get("name"), "size_bytes", t.get("size_bytes"), "created_at", t.get("created_at")))
                .toList()));
        return o;
    }

    private static String hostName(Config config, String id) {
        if (config.fleet().hostName().isPresent()) {
            return config.fleet().hostName().get();
        }
        try {
            String h = InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
            int dot = h.indexOf('.');
            h = dot > 0 ? h.substring(0, dot) : h;
            return h.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?") ? h : id;
        } catch (IOException e) {
            return id;
        }
    }
}
