package io.scalebox.api;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/** What a handler sees of an HTTP request: path parameters, query, and the raw body. */
public final class Request {
    private final Map<String, String> params;
    private final Map<String, String> query;
    private final byte[] body;
    /** The fleet's own headers (X-Scalebox-*), lower-cased names: the only headers handlers see. */
    private final Map<String, String> fleetHeaders;

    public Request(Map<String, String> params, Map<String, String> query, byte[] body) {
        this(params, query, body, Map.of());
    }

    public Request(Map<String, String> params, Map<String, String> query, byte[] body,
                   Map<String, String> fleetHeaders) {
        this.params = Map.copyOf(params);
        this.query = Map.copyOf(query);
        this.body = body.clone();
        this.fleetHeaders = Map.copyOf(fleetHeaders);
    }

    /** A fleet header (X-Scalebox-...), by name in any case. */
    public Optional<String> fleetHeader(String name) {
        return Optional.ofNullable(fleetHeaders.get(name.toLowerCase(java.util.Locale.ROOT)));
    }

    public String param(String name) {
        String v = params.get(name);
        if (v == null) {
            throw new IllegalStateException("route has no parameter " + name);
        }
        return v;
    }

    public Optional<String> query(String name) {
        return Optional.ofNullable(query.get(name));
    }

    /**
     * The body as a JSON object. An empty body counts as {@code {}} so that endpoints whose
     * fields are all optional accept it; anything that is not one JSON object is a 400.
     */
    public JsonObject jsonObject() throws ApiException {
        if (body.length == 0) {
            return new JsonObject();
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest("invalid_json", "Request body is not valid UTF-8");
        }
        JsonElement e;
        try {
            e = Json.parseStrict(text);
        } catch (JsonParseException | java.io.IOException | IllegalStateException ex) {
            throw ApiException.badRequest("invalid_json", "Malformed JSON in request body");
        }
        if (!e.isJsonObject()) {
            throw ApiException.badRequest("invalid_json", "Request body must be a JSON object");
        }
        return e.getAsJsonObject();
    }
}
