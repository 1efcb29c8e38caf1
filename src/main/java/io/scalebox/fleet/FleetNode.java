package io.scalebox.fleet;

import com.google.gson.JsonObject;
import io.scalebox.config.Fleet;
import io.scalebox.host.Background;
import io.scalebox.vm.FaultPoints;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * This host as a member of the fleet: its membership (the lease thread), the view of the other
 * hosts and the registry sync (the sync thread), creates and the operator's host commands.
 * Both threads start after the API answers, so fleet mode never delays /health.
 */
public final class FleetNode {
    private static final Logger LOG = LogManager.getLogger(FleetNode.class);
    /** etcd calls: each endpoint gets this long (the client timeout users see at worst, per endpoint). */
    static final java.time.Duration ETCD_TIMEOUT = java.time.Duration.ofSeconds(2);

    private final HostIdentity identity;
    private final Keys keys;
    private final Etcd etcd;
    private final Registry registry;
    private final HostsView hosts;
    private final Membership membership;
    private final Publisher publisher;
    private final FleetCreates creates;
    private final FaultPoints faults;
    private final String url;
    private ScheduledExecutorService leaseThread;
    private ScheduledExecutorService syncThread;
    private long syncs;

    /**
     * @param self the name and version shown to the others
     * @param load this host's load and templates (alive record)
     */
    public FleetNode(Fleet config, HostIdentity identity, Etcd.Tls tls, String name, String version,
                     Supplier<JsonObject> load, LocalVms local, HostClient hostClient, Supplier<String> newName,
                     FaultPoints faults) {
        this.identity = identity;
        this.faults = faults;
        this.url = config.url().orElseThrow().toString();
        this.keys = new Keys(config.prefix());
        this.etcd = new Etcd(config.etcd(), tls, ETCD_TIMEOUT);
        this.registry = new Registry(etcd, keys);
        this.hosts = new HostsView(etcd, keys);
        JsonObject self = new JsonObject();
        self.addProperty("name", name);
        self.addProperty("url", url);
        self.addProperty("version", version);
        this.publisher = new Publisher(registry, local, identity.id(), hosts, config.createTimeout().toMillis(),
                System::currentTimeMillis);
        this.membership = new Membership(etcd, keys, identity, self, load, System::nanoTime, publisher::rejoined);
        this.creates = new FleetCreates(this, new Placement(3, new Random()), hostClient, newName);
    }

    /** Starts the lease and sync threads (after the API answers). */
    public synchronized void start() {
        leaseThread = Background.scheduler("fleet-lease");
        leaseThread.scheduleWithFixedDelay(this::tick, 0, 1, TimeUnit.SECONDS);
        syncThread = Background.scheduler("fleet-sync");
        syncThread.scheduleWithFixedDelay(this::sync, 0, 1, TimeUnit.SECONDS);
    }

    /** Leaves the lease to run out (a restart revokes it itself): VMs stay this host's. */
    public synchronized void stop() {
        if (leaseThread != null) {
            leaseThread.shutdownNow();
            syncThread.shutdownNow();
        }
    }

    /** A failed step is logged, never the end of the thread (an executor drops a task that throws). */
    private void tick() {
        try {
            membership.tick();
        } catch (RuntimeException e) {
            LOG.error("fleet: lease step failed", e);
        }
    }

    /** Every second: the hosts (every 2 s), the registry, queued deletes and stale reservations (every 10 s). */
    private void sync() {
        long n = syncs++;
        try {
            if (n % 2 == 0) {
                hosts.refresh();
            }
            if (membership.state() == Membership.State.ATTACHED) {
                publisher.sync();
                if (n % 2 == 1) {
                    publisher.carryOutDeletes();
                }
                if (n % 10 == 5) {
                    publisher.clearStaleReservations();
                    registry.vms(); // the copy shown while etcd is out
                }
            }
        } catch (EtcdException e) {
            LOG.debug("fleet: sync: {}", e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("fleet: sync failed", e);
        }
    }

    /** An etcd step of a create: tried again while etcd elects a leader (at most {@link #ELECTION_BUDGET}). */
    <T> T riding(EtcdCall<T> call) throws EtcdException {
        long deadline = System.nanoTime() + ELECTION_BUDGET.toNanos();
        while (true) {
            try {
                return call.run();
            } catch (EtcdException e) {
                if (!e.unavailable() || System.nanoTime() - deadline > 0 || membership.outage()) {
                    throw e;
                }
                try {
                    Thread.sleep(250);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** One etcd step. */
    @FunctionalInterface
    interface EtcdCall<T> {
        T run() throws EtcdException;
    }

    static final java.time.Duration ELECTION_BUDGET = java.time.Duration.ofSeconds(5);

    public String hostId() {
        return identity.id();
    }

    public String url() {
        return url;
    }

    public Membership membership() {
        return membership;
    }

    public HostsView hosts() {
        return hosts;
    }

    public Registry registry() {
        return registry;
    }

    public FleetCreates creates() {
        return creates;
    }

    Publisher publisher() {
        return publisher;
    }

    FaultPoints faults() {
        return faults;
    }

    /**
     * Refuses creates where uniqueness cannot be checked (etcd out for longer than an election:
     * at once) or this host is out of the fleet.
     */
    void requireAttached() throws FleetException {
        if (membership.outage() || !membership.attached() && !membership.reachable()) {
            throw new FleetException(503, "fleet_unavailable", "The fleet's registry (etcd) does not answer: creates "
                    + "wait until it is back; VMs keep running");
        }
        if (!membership.attached()) {
            throw new FleetException(503, "fleet_detached", "This host is not part of the fleet right now ("
                    + membership.problem() + "): it takes no create until it has joined again");
        }
    }

    /** Stops placing creates on a host (its VMs keep running). */
    public void drain(String host, boolean on) throws FleetException {
        FleetHost h = known(host);
        try {
            if (on) {
                etcd.put(keys.drain(h.id()), "{\"at\":" + System.currentTimeMillis() + "}", 0);
            } else {
                etcd.txn().delete(keys.drain(h.id())).commit();
            }
            hosts.refresh();
        } catch (EtcdException e) {
            throw FleetException.unavailable(e);
        }
        LOG.info("fleet: host {} {}", h.id(), on ? "drained: no new VMs go there" : "undrained");
    }

    /**
     * Takes a host out of the fleet: refused while it is alive unless forced. Its VM records and
     * names go; it never joins again with that id.
     */
    public int remove(String host, boolean force) throws FleetException {
        FleetHost h = known(host);
        if (h.alive() && !force) {
            throw new FleetException(409, "host_alive", "Host " + h.id() + " is " + h.status().key()
                    + ": drain it and stop its scaleboxd first, or remove it with force (its VMs vanish from the fleet)");
        }
        try {
            etcd.put(keys.removed(h.id()), "{\"at\":" + System.currentTimeMillis() + "}", 0);
            int vms = registry.forget(h.id());
            etcd.txn().delete(keys.member(h.id())).delete(keys.alive(h.id())).delete(keys.drain(h.id())).commit();
            hosts.refresh();
            LOG.warn("fleet: host {} removed from the fleet ({} VM records dropped)", h.id(), vms);
            return vms;
        } catch (EtcdException e) {
            throw FleetException.unavailable(e);
        }
    }

    private FleetHost known(String host) throws FleetException {
        return hosts.get(host).orElseThrow(() -> new FleetException(404, "host_not_found", "No host " + host
                + " in the fleet"));
    }
}
