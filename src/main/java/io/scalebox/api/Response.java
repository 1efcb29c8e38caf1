package io.scalebox.api;

/** What a handler answers: a status and a JSON body (null for an empty body), or a {@link Text}. */
public record Response(int status, Object body) {

    /** A body that is not JSON (the Prometheus text format). */
    public record Text(String contentType, byte[] bytes) {
    }

    public static Response text(String contentType, byte[] bytes) {
        return new Response(200, new Text(contentType, bytes));
    }

    /** 200 with JSON rendered earlier (a constant, a cached list). */
    public static Response json(byte[] rendered) {
        return text(JSON, rendered);
    }

    static final String JSON = "application/json; charset=utf-8";

    public static Response ok(Object body) {
        return new Response(200, body);
    }

    public static Response created(Object body) {
        return new Response(201, body);
    }

    public static Response noContent() {
        return new Response(204, null);
    }

    /** A status with no body at all (e.g. /caddy/check). */
    public static Response empty(int status) {
        return new Response(status, null);
    }
}
