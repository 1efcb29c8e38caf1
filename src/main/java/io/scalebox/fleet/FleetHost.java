package io.scalebox.fleet;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A host as the fleet sees it: its membership record, and from its alive record (present while
 * its lease lives) its load and templates. Ready when alive, draining when alive and drained,
 * unreachable when only the membership is there, removed when an operator removed it.
 */
public record FleetHost(String id, String name, String url, String version, Status status, Load load,
                        List<JsonObject> templates, long joinedAtMillis) {
    public enum Status {
        READY, DRAINING, UNREACHABLE, REMOVED;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public FleetHost {
        templates = List.copyOf(templates);
    }

    public boolean alive() {
        return status == Status.READY || status == Status.DRAINING;
    }

    public boolean hasTemplate(String template) {
        return templates.stream().anyMatch(t -> t.has("name") && t.get("name").getAsString().equals(template));
    }

    /** Assembled from the records read from etcd; {@code alive} null when the host's lease is gone. */
    static FleetHost of(String id, JsonObject member, JsonObject alive, boolean drained, boolean removed) {
        JsonObject info = alive != null ? alive : member;
        Status status = removed ? Status.REMOVED : alive == null ? Status.UNREACHABLE
                : drained ? Status.DRAINING : Status.READY;
        List<JsonObject> templates = new ArrayList<>();
        if (alive != null && alive.has("templates") && alive.get("templates").isJsonArray()) {
            for (JsonElement t : alive.getAsJsonArray("templates")) {
                if (t.isJsonObject()) {
                    templates.add(t.getAsJsonObject());
                }
            }
        }
        return new FleetHost(id, text(info, "name", id), text(info, "url", ""), text(info, "version", ""), status,
                alive == null ? Load.NONE : Load.read(alive), templates,
                member != null && member.has("joined_at") ? member.get("joined_at").getAsLong() : 0);
    }

    static JsonArray names(List<JsonObject> templates) {
        JsonArray a = new JsonArray();
        templates.forEach(t -> a.add(t.get("name")));
        return a;
    }

    private static String text(JsonObject o, String field, String otherwise) {
        return o != null && o.has(field) && o.get(field).isJsonPrimitive() ? o.get(field).getAsString() : otherwise;
    }
}
