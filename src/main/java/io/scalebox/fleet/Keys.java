package io.scalebox.fleet;

/**
 * The fleet's key layout under FLEET_PREFIX (README "Fleet"): a host's membership (kept) and
 * liveness (bound to its lease: gone 10 s after the host stops renewing), the VM records and
 * names (never on a lease: an etcd or network incident never deletes them), drains, removals
 * and deletes waiting for an unreachable owner.
 */
final class Keys {
    private final String prefix;

    Keys(String prefix) {
        this.prefix = prefix + "/";
    }

    String members() {
        return prefix + "members/";
    }

    String member(String host) {
        return members() + host;
    }

    String alive() {
        return prefix + "alive/";
    }

    String alive(String host) {
        return alive() + host;
    }

    String drains() {
        return prefix + "drain/";
    }

    String drain(String host) {
        return drains() + host;
    }

    String removals() {
        return prefix + "removed/";
    }

    String removed(String host) {
        return removals() + host;
    }

    String vms() {
        return prefix + "vms/";
    }

    String vm(String id) {
        return vms() + id;
    }

    String names() {
        return prefix + "names/";
    }

    String name(String name) {
        return names() + name;
    }

    String deletes() {
        return prefix + "delete/";
    }

    String delete(String id) {
        return deletes() + id;
    }

    /** The last part of a key (the host, VM id or name). */
    static String last(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }
}
