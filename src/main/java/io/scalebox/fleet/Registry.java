package io.scalebox.fleet;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The fleet's VM records and names in etcd. A name is taken by one create-if-absent txn (a
 * reservation naming the host chosen), turned into the VM's own entry by its owner once the VM
 * exists, and released by the owner only after the VM is gone. Each VM record holds the
 * owner's rendering of the VM, so that any host can answer for it.
 */
public final class Registry {
    /** A VM as its owner last published it. */
    public record VmEntry(String id, String name, String host, JsonObject view, long modRevision) {
    }

    /** A taken name: the VM's id, or a create's reservation (token and when, by the entry host's clock). */
    public record NameEntry(String name, Optional<String> id, String host, Optional<String> reservation, long atMillis,
                            long modRevision) {
    }

    /** A delete waiting for the VM's owner to be reachable. */
    public record PendingDelete(String id, String host) {
    }

    static final int MAX_KEYS = 100_000;
    private final Etcd etcd;
    private final Keys keys;
    private volatile List<VmEntry> last = List.of();

    Registry(Etcd etcd, Keys keys) {
        this.etcd = etcd;
        this.keys = keys;
    }

    public Optional<VmEntry> vm(String id) throws EtcdException {
        return etcd.get(keys.vm(id)).map(Registry::vmEntry);
    }

    /** By id (vm-...) or by name. */
    public Optional<VmEntry> find(String idOrName) throws EtcdException {
        if (idOrName.matches("vm-[0-9a-f]{12}")) {
            return vm(idOrName);
        }
        Optional<NameEntry> n = name(idOrName);
        return n.isPresent() && n.get().id().isPresent() ? vm(n.get().id().get()) : Optional.empty();
    }

    public List<VmEntry> vms() throws EtcdException {
        List<VmEntry> vms = etcd.prefix(keys.vms(), MAX_KEYS).stream().map(Registry::vmEntry).toList();
        last = vms;
        return vms;
    }

    /** The VMs as last read (by a list, or the sync thread every 10 s): what a host shows while etcd is out. */
    public List<VmEntry> lastVms() {
        return last;
    }

    public Optional<NameEntry> name(String name) throws EtcdException {
        return etcd.get(keys.name(name)).map(Registry::nameEntry);
    }

    List<NameEntry> names() throws EtcdException {
        return etcd.prefix(keys.names(), MAX_KEYS).stream().map(Registry::nameEntry).toList();
    }

    /** Takes {@code name} for a create on {@code host}; false when the fleet has it already. */
    boolean reserve(String name, String host, String token, long nowMillis) throws EtcdException {
        JsonObject v = new JsonObject();
        v.addProperty("host", host);
        v.addProperty("reservation", token);
        v.addProperty("at", nowMillis);
        Etcd.TxnResult r = etcd.txn().absent(keys.name(name)).put(keys.name(name), v.toString())
                .orRead(keys.name(name)).commit();
        // A retried call whose first try committed finds its own reservation.
        return r.succeeded() || r.read().stream().map(Registry::nameEntry)
                .anyMatch(e -> e.reservation().equals(Optional.of(token)));
    }

    /** Gives back a reservation that did not become a VM (only if it is still that reservation). */
    void release(NameEntry reserved) throws EtcdException {
        etcd.txn().unchangedSince(keys.name(reserved.name()), reserved.modRevision())
                .delete(keys.name(reserved.name())).commit();
    }

    /** Turns a reservation into the VM's entry and publishes the VM, if the reservation is still the one read. */
    boolean claim(NameEntry reserved, String id, String host, JsonObject view) throws EtcdException {
        return etcd.txn().unchangedSince(keys.name(reserved.name()), reserved.modRevision())
                .put(keys.name(reserved.name()), nameValue(id, host))
                .put(keys.vm(id), vmValue(id, reserved.name(), host, view)).commit().succeeded();
    }

    /** Takes a free name for an existing VM (one made while etcd could not be reached, or before joining). */
    boolean claimFree(String name, String id, String host) throws EtcdException {
        return etcd.txn().absent(keys.name(name)).put(keys.name(name), nameValue(id, host)).commit().succeeded();
    }

    void publish(String id, String name, String host, JsonObject view) throws EtcdException {
        etcd.put(keys.vm(id), vmValue(id, name, host, view), 0);
    }

    /** Removes a VM's record, and its name if the name is still the VM's. */
    void unpublish(String id, String name) throws EtcdException {
        Optional<NameEntry> n = name(name);
        Txn txn = etcd.txn();
        if (n.isPresent() && n.get().id().equals(Optional.of(id))) {
            txn.unchangedSince(keys.name(name), n.get().modRevision()).delete(keys.name(name));
        }
        txn.delete(keys.vm(id)).delete(keys.delete(id)).commit();
    }

    public void queueDelete(String id, String host) throws EtcdException {
        JsonObject v = new JsonObject();
        v.addProperty("host", host);
        etcd.put(keys.delete(id), v.toString(), 0);
    }

    List<PendingDelete> pendingDeletes() throws EtcdException {
        List<PendingDelete> out = new ArrayList<>();
        for (Etcd.Kv kv : etcd.prefix(keys.deletes(), MAX_KEYS)) {
            JsonObject o = object(kv.value());
            out.add(new PendingDelete(Keys.last(kv.key()), text(o, "host")));
        }
        return out;
    }

    void clearDelete(String id) throws EtcdException {
        etcd.txn().delete(keys.delete(id)).commit();
    }

    /** Drops a host's VM records and names (an operator's forced remove: those VMs are gone for the fleet). */
    int forget(String host) throws EtcdException {
        int n = 0;
        for (VmEntry e : vms()) {
            if (e.host().equals(host)) {
                unpublish(e.id(), e.name());
                n++;
            }
        }
        for (NameEntry e : names()) {
            if (e.host().equals(host)) {
                etcd.txn().unchangedSince(keys.name(e.name()), e.modRevision()).delete(keys.name(e.name())).commit();
            }
        }
        return n;
    }

    private static String nameValue(String id, String host) {
        JsonObject v = new JsonObject();
        v.addProperty("id", id);
        v.addProperty("host", host);
        return v.toString();
    }

    private static String vmValue(String id, String name, String host, JsonObject view) {
        JsonObject v = new JsonObject();
        v.addProperty("id", id);
        v.addProperty("name", name);
        v.addProperty("host", host);
        v.add("view", view);
        return v.toString();
    }

    private static VmEntry vmEntry(Etcd.Kv kv) {
        JsonObject o = object(kv.value());
        JsonObject view = o.has("view") && o.get("view").isJsonObject() ? o.getAsJsonObject("view") : new JsonObject();
        return new VmEntry(Keys.last(kv.key()), text(o, "name"), text(o, "host"), view, kv.modRevision());
    }

    private static NameEntry nameEntry(Etcd.Kv kv) {
        JsonObject o = object(kv.value());
        return new NameEntry(Keys.last(kv.key()), Optional.ofNullable(o.has("id") ? text(o, "id") : null),
                text(o, "host"), Optional.ofNullable(o.has("reservation") ? text(o, "reservation") : null),
                o.has("at") ? o.get("at").getAsLong() : 0, kv.modRevision());
    }

    static JsonObject object(String json) {
        try {
            return JsonParser.parseString(json).getAsJsonObject();
        } catch (RuntimeException e) {
            return new JsonObject();
        }
    }

    static String text(JsonObject o, String field) {
        return o.has(field) && o.get(field).isJsonPrimitive() ? o.get(field).getAsString() : "";
    }
}
