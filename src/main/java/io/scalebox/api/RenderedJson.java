package io.scalebox.api;

import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * A JSON answer rendered once and served as it is until its key changes (the version of the VM
 * records, the state of the templates directory): list routes then cost a comparison.
 */
final class RenderedJson {
    private record Entry(Object key, byte[] json) {
    }

    private volatile Entry last;

    /** The rendering for {@code key}: the last one when its key is equal, else {@code body} rendered now. */
    byte[] get(Object key, Supplier<Object> body) {
        Entry e = last;
        if (e != null && e.key().equals(key)) {
            return e.json();
        }
        byte[] json = Json.GSON.toJson(body.get()).getBytes(StandardCharsets.UTF_8);
        last = new Entry(key, json);
        return json;
    }

    /** The next {@link #get} renders again, whatever its key. */
    void clear() {
        last = null;
    }
}
