package io.scalebox.api;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.math.BigDecimal;
import java.util.Optional;

/** Typed fields of a request body; a wrong type or value is a 400 that names the field. */
final class JsonFields {
    private JsonFields() {
    }

    static String requiredString(JsonObject body, String field) throws ApiException {
        return optionalString(body, field).orElseThrow(() -> ApiException.badRequest("missing_field", field + " is required"));
    }

    /** Absent, null and "" are all "not given". */
    static Optional<String> optionalString(JsonObject body, String field) throws ApiException {
        JsonElement e = body.get(field);
        if (e == null || e.isJsonNull()) {
            return Optional.empty();
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw ApiException.badRequest("invalid_field", field + " must be a string");
        }
        String s = e.getAsString();
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    static Optional<Boolean> optionalBoolean(JsonObject body, String field) throws ApiException {
        JsonElement e = body.get(field);
        if (e == null || e.isJsonNull()) {
            return Optional.empty();
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw ApiException.badRequest("invalid_field", field + " must be true or false");
        }
        return Optional.of(e.getAsBoolean());
    }

    /** A whole number in [min, max] ({@code 2.0} counts as 2; {@code 2.5} and {@code "2"} do not). */
    static Optional<Integer> optionalInt(JsonObject body, String field, int min, int max) throws ApiException {
        JsonElement e = body.get(field);
        if (e == null || e.isJsonNull()) {
            return Optional.empty();
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw ApiException.badRequest("invalid_field", field + " must be an integer");
        }
        BigDecimal d = e.getAsBigDecimal();
        if (d.stripTrailingZeros().scale() > 0) {
            throw ApiException.badRequest("invalid_field", field + " must be an integer");
        }
        if (d.compareTo(BigDecimal.valueOf(min)) < 0 || d.compareTo(BigDecimal.valueOf(max)) > 0) {
            throw ApiException.badRequest("invalid_field", field + " must be between " + min + " and " + max);
        }
        return Optional.of(d.intValueExact());
    }
}
