package io.scalebox.api;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringReader;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The API's JSON conventions (api.md): integral numbers without ".0", times with milliseconds. */
public final class Json {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private static final TypeAdapter<Double> DOUBLE = new TypeAdapter<>() {
        @Override
        public void write(JsonWriter out, Double d) throws IOException {
            if (d == null) {
                out.nullValue();
            } else if (d == Math.rint(d) && !d.isInfinite() && Math.abs(d) < 1e15) {
                out.value(d.longValue());
            } else {
                out.value(d);
            }
        }

        @Override
        public Double read(JsonReader in) throws IOException {
            return in.nextDouble();
        }
    };

    /** Serializes response bodies; nulls are kept (e.g. {@code "url": null}). */
    public static final Gson GSON = new GsonBuilder()
            .serializeNulls()
            .disableHtmlEscaping()
            .registerTypeAdapter(Double.class, DOUBLE)
            .registerTypeAdapter(double.class, DOUBLE)
            .create();

    private Json() {
    }

    /** A JSON object whose fields keep the given order: key, value, key, value, … */
    public static Map<String, Object> object(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    public static String time(Instant instant) {
        return TIME.format(instant);
    }

    /** Sizes in GB with one decimal, as /info reports them. */
    public static double gb(long bytes) {
        return Math.round(bytes / (1024.0 * 1024 * 1024) * 10) / 10.0;
    }

    /** Parses exactly one strict JSON document (no comments, unquoted names or trailing data). */
    static JsonElement parseStrict(String text) throws IOException {
        JsonReader reader = new JsonReader(new StringReader(text));
        reader.setStrictness(Strictness.STRICT);
        JsonElement e = GSON.getAdapter(JsonElement.class).read(reader);
        if (reader.peek() != JsonToken.END_DOCUMENT) {
            throw new JsonParseException("trailing data after the JSON document");
        }
        return e;
    }
}
