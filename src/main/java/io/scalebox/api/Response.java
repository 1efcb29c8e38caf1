package io.scalebox.api;

/** What a handler answers: a status and a JSON body (null for an empty body). */
public record Response(int status, Object body) {

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
