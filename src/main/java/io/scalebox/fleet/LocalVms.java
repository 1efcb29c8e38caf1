package io.scalebox.fleet;

import com.google.gson.JsonObject;
import java.util.List;

/** This host's own VMs, as the fleet code sees them (the engine behind an interface it can test with). */
public interface LocalVms {
    /** A local VM and its API rendering. */
    record Entry(String id, String name, JsonObject view) {
    }

    List<Entry> list();

    /** Deletes a local VM (a delete queued while this host was unreachable); absent is fine. */
    void delete(String id) throws Exception;
}
