package io.scalebox.fleet;

import com.google.gson.JsonObject;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Keeps the registry equal to this host's VMs: writes the record of every VM that changed,
 * removes the records (and names) of VMs that are gone, carries out deletes that waited for
 * this host, and clears create reservations that never finished. Whatever etcd refused is
 * tried again at the next pass, so the registry catches up after an outage.
 */
final class Publisher {
    private static final Logger LOG = LogManager.getLogger(Publisher.class);
    private final Registry registry;
    private final LocalVms local;
    private final String host;
    private final HostsView hosts;
    private final long createTimeoutMillis;
    private final LongSupplier wallClock;
    /** id -> the record last written (as text); rebuilt from the registry at each join. */
    private final Map<String, String> published = new HashMap<>();
    private final Map<String, String> names = new HashMap<>();
    private final Set<String> named = new HashSet<>();
    /** Names of creates under way on this host (their reservations are not stale). */
    private final Set<String> creating = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean reconcile = true;
    private final java.util.Queue<LocalVms.Entry> justPublished = new java.util.concurrent.ConcurrentLinkedQueue<>();

    Publisher(Registry registry, LocalVms local, String host, HostsView hosts, long createTimeoutMillis,
              LongSupplier wallClock) {
        this.registry = registry;
        this.local = local;
        this.host = host;
        this.hosts = hosts;
        this.createTimeoutMillis = createTimeoutMillis;
        this.wallClock = wallClock;
    }

    /** After a (re)join: compare with the registry again rather than with what this run wrote. */
    void rejoined() {
        reconcile = true;
    }

    Set<String> creating() {
        return creating;
    }

    /**
     * A VM its create published itself (so that its delete is seen even before the next pass).
     * Queued: a create never waits for a pass that is waiting for etcd.
     */
    void published(LocalVms.Entry vm) {
        justPublished.add(vm);
    }

    synchronized void sync() throws EtcdException {
        for (LocalVms.Entry vm = justPublished.poll(); vm != null; vm = justPublished.poll()) {
            published.put(vm.id(), vm.view().toString());
            names.put(vm.id(), vm.name());
            named.add(vm.id());
        }
        List<LocalVms.Entry> vms = local.list();
        Map<String, LocalVms.Entry> byId = new HashMap<>();
        vms.forEach(v -> byId.put(v.id(), v));
        if (reconcile) {
            published.clear();
            names.clear();
            for (Registry.VmEntry e : registry.vms()) {
                if (!e.host().equals(host)) {
                    continue;
                }
                if (byId.containsKey(e.id())) {
                    published.put(e.id(), e.view().toString());
                    names.put(e.id(), e.name());
                } else {
                    LOG.info("fleet: VM {} ({}) is recorded on this host but is not here: record removed", e.id(), e.name());
                    registry.unpublish(e.id(), e.name());
                }
            }
            named.clear();
            reconcile = false;
        }
        for (LocalVms.Entry v : vms) {
            String view = v.view().toString();
            if (!named.contains(v.id())) {
                name(v);
            }
            if (!view.equals(published.get(v.id()))) {
                registry.publish(v.id(), v.name(), host, v.view());
                published.put(v.id(), view);
                names.put(v.id(), v.name());
            }
        }
        for (String id : Set.copyOf(published.keySet())) {
            if (!byId.containsKey(id)) {
                registry.unpublish(id, names.get(id));
                published.remove(id);
                names.remove(id);
                named.remove(id);
            }
        }
    }

    /** Makes sure a VM's name is its own in the fleet (a VM made while etcd was out, or before joining). */
    private void name(LocalVms.Entry v) throws EtcdException {
        Optional<Registry.NameEntry> n = registry.name(v.name());
        if (n.isEmpty()) {
            registry.claimFree(v.name(), v.id(), host);
        } else if (n.get().id().isEmpty() && n.get().host().equals(host) && !creating.contains(v.name())) {
            registry.claim(n.get(), v.id(), host, v.view());
        } else if (!n.get().id().equals(Optional.of(v.id())) && !creating.contains(v.name())) {
            LOG.warn("fleet: VM {} is named {}, which the fleet gives to {} on {}: rename one of them (calls by that "
                    + "name reach the other)", v.id(), v.name(), n.get().id().orElse("a create"), n.get().host());
        }
        named.add(v.id());
    }

    /** Deletes that were queued for this host while it was unreachable. */
    void carryOutDeletes() throws EtcdException {
        for (Registry.PendingDelete d : registry.pendingDeletes()) {
            if (!d.host().equals(host)) {
                continue;
            }
            try {
                local.delete(d.id());
                LOG.info("fleet: VM {} deleted (the delete was queued while this host was unreachable)", d.id());
            } catch (Exception e) {
                LOG.warn("fleet: VM {}: the queued delete failed: {}", d.id(), e.getMessage());
                continue;
            }
            registry.clearDelete(d.id());
        }
    }

    /**
     * Reservations older than FLEET_CREATE_TIMEOUT that never became a VM: this host clears its
     * own (unless the create still runs); any host clears those of a host that is not alive.
     */
    void clearStaleReservations() throws EtcdException {
        long now = wallClock.getAsLong();
        for (Registry.NameEntry n : registry.names()) {
            if (n.reservation().isEmpty() || now - n.atMillis() < createTimeoutMillis) {
                continue;
            }
            boolean mine = n.host().equals(host);
            boolean ownerGone = hosts.get(n.host()).map(h -> !h.alive()).orElse(true);
            if (mine && !creating.contains(n.name()) || !mine && ownerGone) {
                registry.release(n);
                LOG.info("fleet: name {} released: its create (for host {}) did not finish within the create timeout",
                        n.name(), n.host());
            }
        }
    }
}
