package io.scalebox.fleet;

import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The fleet's hosts as last read from etcd (every 2 s by the sync thread): placement and the
 * routing of calls work on this copy, so a request never waits for etcd to learn who is alive.
 */
public final class HostsView {
    private final Etcd etcd;
    private final Keys keys;
    private volatile List<FleetHost> hosts = List.of();
    /** When the last read succeeded (monotonic nanos); 0: never. */
    private volatile long readAt;
    /** A view older than a lease says nothing of who is alive now. */
    private static final long FRESH_NANOS = Membership.TTL_SECONDS * 1_000_000_000L;

    HostsView(Etcd etcd, Keys keys) {
        this.etcd = etcd;
        this.keys = keys;
    }

    public List<FleetHost> all() {
        return hosts;
    }

    public Optional<FleetHost> get(String idOrName) {
        return hosts.stream().filter(h -> h.id().equals(idOrName)).findFirst()
                .or(() -> hosts.stream().filter(h -> h.name().equals(idOrName)).findFirst());
    }

    /**
     * Whether the view was read within a lease time: derived from the last success, so a host
     * whose etcd calls hang (each waits its timeout) does not count as fresh meanwhile.
     */
    public boolean fresh() {
        long at = readAt;
        return at != 0 && System.nanoTime() - at < FRESH_NANOS;
    }

    void refresh() throws EtcdException {
        Map<String, JsonObject> members = objects(keys.members());
        Map<String, JsonObject> alive = objects(keys.alive());
        Set<String> drained = new HashSet<>(objects(keys.drains()).keySet());
        Set<String> removed = new HashSet<>(objects(keys.removals()).keySet());
        Set<String> ids = new HashSet<>(members.keySet());
        ids.addAll(alive.keySet());
        List<FleetHost> out = new ArrayList<>();
        for (String id : ids) {
            out.add(FleetHost.of(id, members.get(id), alive.get(id), drained.contains(id), removed.contains(id)));
        }
        out.sort(Comparator.comparing(FleetHost::name).thenComparing(FleetHost::id));
        hosts = List.copyOf(out);
        readAt = System.nanoTime();
    }

    private Map<String, JsonObject> objects(String prefix) throws EtcdException {
        Map<String, JsonObject> out = new HashMap<>();
        for (Etcd.Kv kv : etcd.prefix(prefix, Registry.MAX_KEYS)) {
            out.put(Keys.last(kv.key()), Registry.object(kv.value()));
        }
        return out;
    }
}
