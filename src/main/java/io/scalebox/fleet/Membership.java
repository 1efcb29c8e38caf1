package io.scalebox.fleet;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * This host's place in the fleet: its alive key on a 10 s lease, renewed every 3 s. Without a
 * renewal for 8 s (by this host's own clock) or with the lease gone, the host is detached: its
 * VMs keep running and it serves them, but it takes no create until it has joined again. A
 * host id whose alive key another instance keeps alive is a duplicate and never joins; a host
 * an operator removed stays out.
 */
public final class Membership {
    private static final Logger LOG = LogManager.getLogger(Membership.class);
    static final long TTL_SECONDS = 10;
    private static final long RENEW_NANOS = 3_000_000_000L;
    private static final long DETACH_NANOS = (TTL_SECONDS - 2) * 1_000_000_000L;
    /** The alive record is written again when its content changed, and at least this often. */
    private static final long ALIVE_REFRESH_NANOS = 30_000_000_000L;
    private static final long ALIVE_MIN_NANOS = 5_000_000_000L;
    /** Longer than an election (etcd's default election timeout is 1 s; tuned clusters up to a few). */
    private static final long OUTAGE_NANOS = 6_000_000_000L;

    public enum State {
        JOINING, ATTACHED, DETACHED, DUPLICATE_HOST_ID, REMOVED;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Etcd etcd;
    private final Keys keys;
    private final HostIdentity identity;
    private final JsonObject self;
    private final Supplier<JsonObject> load;
    private final LongSupplier clock;
    private final Runnable onJoin;
    private final String instance;

    private volatile State state = State.JOINING;
    private volatile boolean reachable = true;
    /** When etcd last stopped answering (monotonic nanos), while it does not. */
    private volatile long unreachableSince;
    private volatile String problem = "";
    private long lease;
    /** Read by request threads (attached()) without the lock the lease thread holds through slow etcd calls. */
    private volatile long renewedAt;
    private long nextJoin;
    private long conflictSince;
    private String aliveWritten = "";
    private long aliveWrittenAt;
    private int renewals;

    /**
     * @param self  name, url and version, as the other hosts show them
     * @param load  this host's load and templates now (the alive record's changing part)
     * @param clock monotonic nanoseconds
     */
    Membership(Etcd etcd, Keys keys, HostIdentity identity, JsonObject self, Supplier<JsonObject> load,
               LongSupplier clock, Runnable onJoin) {
        this.etcd = etcd;
        this.keys = keys;
        this.identity = identity;
        this.self = self.deepCopy();
        this.load = load;
        this.clock = clock;
        this.onJoin = onJoin;
        byte[] b = new byte[8];
        new SecureRandom().nextBytes(b);
        this.instance = HexFormat.of().formatHex(b);
    }

    public State state() {
        return state;
    }

    /** Why the host is not attached (empty when it is). */
    public String problem() {
        return problem;
    }

    /** Whether etcd answered this host's last call about its lease. */
    public boolean reachable() {
        return reachable;
    }

    /**
     * Whether etcd has not answered for longer than a leader election takes: creates are then
     * refused at once instead of waiting for it.
     */
    public boolean outage() {
        return !reachable && clock.getAsLong() - unreachableSince > OUTAGE_NANOS;
    }

    private void answered(boolean yes) {
        if (reachable && !yes) {
            unreachableSince = clock.getAsLong();
        }
        reachable = yes;
    }

    /** Attached, and the lease renewed recently enough by this host's own clock. */
    public boolean attached() {
        return state == State.ATTACHED && clock.getAsLong() - renewedAt < DETACH_NANOS;
    }

    /** One step of the lease thread (every second): join, or renew and refresh the alive record. */
    synchronized void tick() {
        long now = clock.getAsLong();
        if (state != State.ATTACHED) {
            if (now - nextJoin >= 0) {
                join(now);
            }
            return;
        }
        if (now - renewedAt >= RENEW_NANOS) {
            renew(now);
        }
        if (state == State.ATTACHED) {
            writeAlive(now, false);
        }
    }

    private void renew(long now) {
        try {
            long ttl = etcd.keepAlive(lease);
            answered(true);
            if (ttl == 0) {
                detach(now, "the lease expired (etcd did not hear from this host for " + TTL_SECONDS + " s)");
                return;
            }
            renewedAt = now;
            // Every 10th renewal: is the alive key still ours (etcd before 3.4.38 could renew a revoked lease)?
            if (++renewals % 10 == 0 && etcd.get(keys.alive(identity.id())).map(kv -> kv.lease() != lease).orElse(true)) {
                detach(now, "the alive key is gone or on another lease");
            }
        } catch (EtcdException e) {
            answered(!e.unavailable());
            if (now - renewedAt >= DETACH_NANOS) {
                detach(now, "etcd did not answer for " + (now - renewedAt) / 1_000_000_000L + " s: " + e.getMessage());
            }
        }
    }

    private void detach(long now, String why) {
        state = State.DETACHED;
        problem = why;
        nextJoin = now;
        LOG.warn("fleet: detached from the fleet: {}; VMs keep running, creates are refused until it rejoins", why);
    }

    private void join(long now) {
        State before = state;
        try {
            if (etcd.get(keys.removed(identity.id())).isPresent()) {
                state = State.REMOVED;
                problem = "an operator removed host " + identity.id() + " from the fleet; to join again, stop scaleboxd, "
                        + "delete DATA_DIR/fleet/host-id and start it (it joins as a new host)";
                if (before != State.REMOVED) {
                    LOG.error("fleet: {}", problem);
                }
                nextJoin = now + 30_000_000_000L;
                answered(true);
                return;
            }
            long granted = etcd.grant(TTL_SECONDS);
            answered(true);
            for (Long old : identity.lastLease().stream().filter(l -> l != granted).toList()) {
                try {
                    etcd.revoke(old); // a restart rejoins at once instead of waiting for the old lease
                } catch (EtcdException e) {
                    // already expired
                }
            }
            identity.rememberLease(granted);
            String alive = alive();
            Etcd.TxnResult r = etcd.txn().absent(keys.alive(identity.id())).put(keys.alive(identity.id()), alive, granted)
                    .orRead(keys.alive(identity.id())).commit();
            if (!r.succeeded()) {
                etcd.revoke(granted);
                String holder = r.read().isEmpty() ? "" : Registry.text(Registry.object(r.read().get(0).value()), "url");
                if (conflictSince == 0) {
                    // Perhaps this host's previous run, whose lease runs out within a TTL.
                    conflictSince = now;
                    nextJoin = now + (TTL_SECONDS + 1) * 1_000_000_000L;
                    LOG.warn("fleet: host id {} is alive elsewhere ({}); waiting {} s for its lease", identity.id(), holder,
                            TTL_SECONDS + 1);
                    return;
                }
                state = State.DUPLICATE_HOST_ID;
                problem = "duplicate host id " + identity.id() + ": another scaleboxd (" + holder + ") is alive with it; "
                        + "this host does not join. If it is a copy of that host's data, stop scaleboxd, delete "
                        + "DATA_DIR/fleet/host-id and start it again";
                if (before != State.DUPLICATE_HOST_ID) {
                    LOG.error("fleet: {}", problem);
                }
                nextJoin = now + 2 * TTL_SECONDS * 1_000_000_000L;
                return;
            }
            conflictSince = 0;
            JsonObject member = self.deepCopy();
            member.addProperty("joined_at", System.currentTimeMillis());
            etcd.put(keys.member(identity.id()), member.toString(), 0);
            lease = granted;
            renewedAt = now;
            aliveWritten = alive;
            aliveWrittenAt = now;
            state = State.ATTACHED;
            problem = "";
            LOG.info("fleet: joined as {} ({})", identity.id(), self.get("url").getAsString());
            onJoin.run();
        } catch (EtcdException e) {
            answered(!e.unavailable());
            String why = "cannot reach etcd: " + e.getMessage();
            if (!why.equals(problem)) {
                LOG.warn("fleet: cannot join: {}", e.getMessage()); // once per cause, not at every try
            }
            problem = why;
            state = before == State.JOINING ? State.JOINING : State.DETACHED;
            nextJoin = now + 2_000_000_000L;
        } catch (IOException e) {
            problem = "cannot record the lease under DATA_DIR/fleet: " + e.getMessage();
            LOG.error("fleet: {}", problem);
            nextJoin = now + 10_000_000_000L;
        }
    }

    /** Writes the alive record when this host's load or templates changed (or every 30 s). */
    private void writeAlive(long now, boolean force) {
        String alive = alive();
        boolean changed = !alive.equals(aliveWritten);
        long age = now - aliveWrittenAt;
        // Changes go out within 5 s: placement works on figures a few seconds old anyway.
        if (!force && (changed ? age < ALIVE_MIN_NANOS : age < ALIVE_REFRESH_NANOS)) {
            return;
        }
        try {
            etcd.put(keys.alive(identity.id()), alive, lease);
            aliveWritten = alive;
            aliveWrittenAt = now;
        } catch (EtcdException e) {
            answered(!e.unavailable());
            if (e.getMessage().contains("lease not found")) {
                detach(now, "the lease expired");
            }
        }
    }

    private String alive() {
        JsonObject o = self.deepCopy();
        o.addProperty("instance", instance);
        for (var e : load.get().entrySet()) {
            o.add(e.getKey(), e.getValue());
        }
        return o.toString();
    }
}
