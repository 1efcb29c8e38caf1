package io.scalebox.fleet;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

/** An etcd transaction: compares, then the writes if they all hold, else the reads. */
public final class Txn {
    private final Etcd etcd;
    private final JsonArray compare = new JsonArray();
    private final JsonArray success = new JsonArray();
    private final JsonArray failure = new JsonArray();

    Txn(Etcd etcd) {
        this.etcd = etcd;
    }

    /** The key does not exist. */
    public Txn absent(String key) {
        return compare(key, "CREATE", "EQUAL", "create_revision", "0");
    }

    /** The key exists. */
    public Txn present(String key) {
        return compare(key, "CREATE", "GREATER", "create_revision", "0");
    }

    /** The key holds exactly {@code value}. */
    public Txn holds(String key, String value) {
        return compare(key, "VALUE", "EQUAL", "value", Etcd.b64(value));
    }

    /** The key was last written at {@code revision}. */
    public Txn unchangedSince(String key, long revision) {
        return compare(key, "MOD", "EQUAL", "mod_revision", String.valueOf(revision));
    }

    public Txn put(String key, String value) {
        return put(key, value, 0);
    }

    public Txn put(String key, String value, long lease) {
        JsonObject op = new JsonObject();
        op.add("request_put", Etcd.putBody(key, value, lease));
        success.add(op);
        return this;
    }

    public Txn delete(String key) {
        JsonObject range = new JsonObject();
        range.addProperty("key", Etcd.b64(key));
        JsonObject op = new JsonObject();
        op.add("request_delete_range", range);
        success.add(op);
        return this;
    }

    /** On failure, read {@code key} (to tell why). */
    public Txn orRead(String key) {
        JsonObject range = new JsonObject();
        range.addProperty("key", Etcd.b64(key));
        JsonObject op = new JsonObject();
        op.add("request_range", range);
        failure.add(op);
        return this;
    }

    public Etcd.TxnResult commit() throws EtcdException {
        JsonObject txn = new JsonObject();
        txn.add("compare", compare);
        txn.add("success", success);
        txn.add("failure", failure);
        return etcd.commit(txn);
    }

    private Txn compare(String key, String target, String result, String field, String value) {
        JsonObject c = new JsonObject();
        c.addProperty("key", Etcd.b64(key));
        c.addProperty("target", target);
        c.addProperty("result", result);
        c.addProperty(field, value);
        compare.add(c);
        return this;
    }
}
