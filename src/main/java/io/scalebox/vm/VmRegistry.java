package io.scalebox.vm;

import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The VMs the daemon knows, the names of VMs being created, and one lock per VM that
 * serializes its stop, start, snapshot and delete. Its own monitor guards the maps, so a
 * caller holding it (allocation) sees and changes them atomically.
 */
final class VmRegistry {
    private final Map<String, Vm> vms = new LinkedHashMap<>();
    /** Creates under way: name to nominal disk GiB (committed from allocation on). */
    private final Map<String, Integer> pending = new HashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private long version;

    /** An operation on one VM, given its current record under the VM's lock. */
    @FunctionalInterface
    interface Action<T> {
        T run(Vm current) throws VmException;
    }

    /** Moves on with every change of a record: a rendering of the list made at one version holds until the next. */
    synchronized long version() {
        return version;
    }

    /** Something shown with the records changed (an agent's state): renderings made before are stale. */
    synchronized void touch() {
        version++;
    }

    synchronized List<Vm> list() {
        return vms.values().stream().sorted(Comparator.comparingLong(Vm::createdAtMillis)).toList();
    }

    synchronized int count() {
        return vms.size();
    }

    /** By id first, then by name. */
    synchronized Vm get(String idOrName) throws VmException {
        Vm vm = vms.get(idOrName);
        if (vm != null) {
            return vm;
        }
        return vms.values().stream().filter(v -> v.name().equals(idOrName)).findFirst()
                .orElseThrow(() -> new VmException(ErrorCode.VM_NOT_FOUND, "VM not found"));
    }

    /** The VM of that id. */
    synchronized Optional<Vm> find(String id) {
        return Optional.ofNullable(vms.get(id));
    }

    /** The VM of that name (case-insensitive, as names are unique that way), by name only. */
    synchronized Optional<Vm> named(String name) {
        return vms.values().stream().filter(v -> v.name().equalsIgnoreCase(name)).findFirst();
    }

    synchronized boolean nameExists(String name) {
        return vms.values().stream().anyMatch(v -> v.name().equalsIgnoreCase(name));
    }

    /** Taken by a VM or by a create under way. */
    synchronized boolean nameTaken(String name) {
        return nameExists(name) || pending.containsKey(name);
    }

    synchronized boolean idTaken(String id) {
        return vms.containsKey(id);
    }

    /** A create under way takes the name and commits its disk. */
    synchronized void reserve(String name, int diskGib) {
        pending.put(name, diskGib);
    }

    synchronized void release(String name) {
        pending.remove(name);
    }

    /** Nominal disk bytes of every VM and every create under way, and the paused VMs' saved states. */
    synchronized long committedBytes() {
        long gib = vms.values().stream().mapToLong(Vm::diskSizeGib).sum()
                + pending.values().stream().mapToLong(Integer::longValue).sum();
        long states = vms.values().stream().flatMap(v -> v.saved().stream()).mapToLong(SavedState::bytes).sum();
        return gib * DiskBudget.GIB + states;
    }

    /** A new VM becomes visible (its name is no longer pending). */
    synchronized void publish(Vm vm) {
        version++;
        vms.put(vm.id(), vm);
        pending.remove(vm.name());
    }

    /**
     * Writes a newer record of a known VM to {@code store}, then publishes it, unless the VM was
     * deleted meanwhile.
     */
    void save(VmStore store, Vm vm) throws VmException {
        try {
            store.save(vm);
        } catch (java.io.IOException e) {
            throw new VmException(ErrorCode.RECORD_FAILED, "Cannot write the VM record: " + e.getMessage(), e);
        }
        replace(vm);
    }

    /** A newer record of a known VM; ignored when it was deleted meanwhile. */
    synchronized void replace(Vm vm) {
        version++;
        vms.computeIfPresent(vm.id(), (k, v) -> vm);
    }

    synchronized Optional<Vm> remove(String id) {
        version++;
        return Optional.ofNullable(vms.remove(id));
    }

    /**
     * Looks the VM up, takes its lock, and runs {@code action} with its record as it is then
     * (it may have changed, or gone: NOT_FOUND, while waiting for the lock).
     */
    <T> T withVm(String idOrName, Action<T> action) throws VmException {
        Vm found = get(idOrName);
        synchronized (locks.computeIfAbsent(found.id(), k -> new Object())) {
            Vm current;
            synchronized (this) {
                current = vms.get(found.id());
            }
            if (current == null) {
                throw new VmException(ErrorCode.VM_NOT_FOUND, "VM not found");
            }
            return action.run(current);
        }
    }

    /** After a delete: the VM's lock is not needed any more. */
    void forgetLock(String id) {
        locks.remove(id);
    }
}
