package io.scalebox.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Locale;

/** Field access and human units for the tables. */
final class Format {
    private Format() {
    }

    static String str(JsonObject o, String field) {
        JsonElement e = o.get(field);
        return e == null || e.isJsonNull() ? "-" : e.getAsString();
    }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    /** "2026-01-20T12:00:00.000Z" as "2026-01-20 12:00". */
    static String time(String iso) {
        return iso.length() >= 16 && iso.charAt(10) == 'T' ? iso.substring(0, 10) + " " + iso.substring(11, 16) : iso;
    }
}
