package io.scalebox.fleet;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A create in the fleet. The entry host picks the name (the caller's, or a generated one) and
 * the host (the caller's {@code host}, or best-of-K), takes the name for that host in one txn,
 * and has the host create the VM: itself, or the owner through its API with the reservation in
 * a header. The owner turns the reservation into the VM's entry once the VM exists, or gives
 * it back when the create fails; a host that is full or detached hands the create to the next
 * candidate (at most three).
 */
public final class FleetCreates {
    private static final Logger LOG = LogManager.getLogger(FleetCreates.class);
    /** The header a relayed create carries its reservation in. */
    public static final String RESERVATION = "X-Scalebox-Reservation";
    /** Marks a relayed request: the host that gets it answers it itself, never relays it on. */
    public static final String RELAYED = "X-Scalebox-Relayed";
    private static final int MAX_TRIES = 3;
    private static final Duration CREATE_TIMEOUT = Duration.ofMinutes(15);

    /** Makes a VM on this host with the name given. */
    public interface LocalCreate {
        LocalVms.Entry create(String name) throws Exception;
    }

    private final FleetNode node;
    private final Placement placement;
    private final HostClient hosts;
    private final Supplier<String> newName;
    private final SecureRandom random = new SecureRandom();

    FleetCreates(FleetNode node, Placement placement, HostClient hosts, Supplier<String> newName) {
        this.node = node;
        this.placement = placement;
        this.hosts = hosts;
        this.newName = newName;
    }

    /**
     * A create received from a client: placed, reserved and carried out here or on the chosen
     * host. {@code body} is the validated request; the owner's answer (status and JSON) is returned.
     */
    public HostClient.Reply create(JsonObject body, Placement.Shape shape, Optional<String> name,
                                   Optional<String> targetHost, LocalCreate local) throws Exception {
        node.requireAttached();
        List<FleetHost> candidates = candidates(shape, targetHost);
        String chosen = name.orElseGet(newName);
        Exception last = null;
        for (FleetHost target : candidates.subList(0, Math.min(MAX_TRIES, candidates.size()))) {
            String token = "r-" + HexFormat.of().formatHex(bytes());
            try {
                if (!node.riding(() -> node.registry().reserve(chosen, target.id(), token, System.currentTimeMillis()))) {
                    throw new FleetException(409, "name_taken", "A VM named '" + chosen + "' already exists in the fleet");
                }
            } catch (EtcdException e) {
                throw FleetException.unavailable(e);
            }
            node.faults().reach("fleet-after-reserve");
            if (target.id().equals(node.hostId())) {
                LocalVms.Entry vm = createReserved(chosen, token, local);
                return new HostClient.Reply(201, vm.view().toString(), Map.of());
            }
            JsonObject relayed = body.deepCopy();
            relayed.addProperty("name", chosen);
            relayed.remove("host");
            HostClient.Reply reply;
            try {
                reply = hosts.send(target.url(), "POST", "/vms", relayed.toString(),
                        Map.of(RESERVATION, token, RELAYED, node.hostId()), CREATE_TIMEOUT);
            } catch (IOException e) {
                LOG.warn("fleet: create of {} on {} ({}) failed: {}", chosen, target.id(), target.url(), e.getMessage());
                release(chosen, token);
                last = new FleetException(503, "host_unreachable", "Host " + target.id() + " did not answer: "
                        + e.getMessage());
                continue;
            }
            if ((reply.status() == 503 || reply.status() == 507) && targetHost.isEmpty()) {
                // Full or detached: the owner gave the reservation back (or never saw it).
                release(chosen, token);
                last = new FleetException(reply.status(), "host_refused", "Host " + target.id() + " refused: " + reply.body());
                continue;
            }
            return reply;
        }
        throw last != null ? last : new FleetException(507, "fleet_no_capacity", "No host can take the VM");
    }

    private byte[] bytes() {
        byte[] b = new byte[8];
        random.nextBytes(b);
        return b;
    }

    private void release(String name, String token) {
        try {
            Optional<Registry.NameEntry> n = node.registry().name(name);
            if (n.isPresent() && n.get().reservation().equals(Optional.of(token))) {
                node.registry().release(n.get());
            }
        } catch (EtcdException e) {
            // cleared after FLEET_CREATE_TIMEOUT
        }
    }

    private List<FleetHost> candidates(Placement.Shape shape, Optional<String> targetHost) throws FleetException {
        List<FleetHost> all = node.hosts().all();
        if (targetHost.isPresent()) {
            FleetHost h = node.hosts().get(targetHost.get()).orElseThrow(() -> new FleetException(404, "host_not_found",
                    "No host " + targetHost.get() + " in the fleet"));
            if (h.status() != FleetHost.Status.READY) {
                throw new FleetException(409, "host_not_ready", "Host " + h.id() + " is " + h.status().key()
                        + ": it takes no create");
            }
            if (!h.hasTemplate(shape.template())) {
                throw new FleetException(404, "template_not_found", "Host " + h.id() + " has no template '"
                        + shape.template() + "'");
            }
            return List.of(h);
        }
        List<FleetHost> ranked = placement.rank(all, shape);
        if (!ranked.isEmpty()) {
            return ranked;
        }
        if (all.stream().noneMatch(h -> h.status() == FleetHost.Status.READY)) {
            throw new FleetException(503, "fleet_unavailable", "No host of the fleet is ready");
        }
        if (all.stream().noneMatch(h -> h.alive() && h.hasTemplate(shape.template()))) {
            throw new FleetException(404, "template_not_found", "No host of the fleet has the template '"
                    + shape.template() + "'");
        }
        throw new FleetException(507, "fleet_no_capacity", "No ready host has room for the VM (memory or disk)");
    }

    /**
     * The owner's part: the reservation must be this host's and unchanged; the VM is made, then
     * the name becomes the VM's. A failed create gives the name back.
     */
    public LocalVms.Entry createReserved(String name, String token, LocalCreate local) throws Exception {
        node.requireAttached();
        Registry.NameEntry reserved;
        try {
            reserved = node.riding(() -> node.registry().name(name)).filter(n -> n.reservation().equals(Optional.of(token))
                    && n.host().equals(node.hostId())).orElseThrow(() -> new FleetException(409, "reservation_lost",
                    "The fleet no longer holds the name '" + name + "' for this create (it took too long, or the host "
                            + "was removed): try again"));
        } catch (EtcdException e) {
            throw FleetException.unavailable(e);
        }
        node.publisher().creating().add(name);
        try {
            LocalVms.Entry vm;
            try {
                vm = local.create(name);
            } catch (Exception e) {
                releaseQuietly(reserved);
                throw e;
            }
            node.faults().reach("fleet-after-create");
            try {
                if (node.riding(() -> node.registry().claim(reserved, vm.id(), node.hostId(), vm.view()))) {
                    node.publisher().published(vm);
                } else {
                    LOG.warn("fleet: VM {} ({}) made, but its reservation changed meanwhile: the publisher settles the name",
                            vm.id(), name);
                }
            } catch (EtcdException e) {
                LOG.warn("fleet: VM {} ({}) made; its record waits for etcd: {}", vm.id(), name, e.getMessage());
            }
            return vm;
        } finally {
            node.publisher().creating().remove(name);
        }
    }

    private void releaseQuietly(Registry.NameEntry reserved) {
        try {
            node.registry().release(reserved);
        } catch (EtcdException e) {
            // cleared after FLEET_CREATE_TIMEOUT
        }
    }
}
