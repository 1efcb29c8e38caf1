package io.scalebox.api;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Answers on an exchange: a status with a JSON body (errors as api.md has them), or none. */
final class Replies {
    private Replies() {
    }

    /** api.md's error body: {"error": message, "code": code}. */
    static Response.Text error(String code, String message) {
        Map<String, String> body = new java.util.LinkedHashMap<>();
        body.put("error", message);
        body.put("code", code);
        return json(body);
    }

    static Response.Text json(Object body) {
        return new Response.Text(Response.JSON, Json.GSON.toJson(body).getBytes(StandardCharsets.UTF_8));
    }

    /** The status and the body ({@code null}: none at all). */
    static void send(HttpServerExchange exchange, int status, Response.Text body) {
        exchange.setStatusCode(status);
        if (!exchange.isRequestComplete()) {
            // Answered before its body was read to the end (refused, too large): what is left of the
            // body must not be taken for the connection's next request.
            exchange.setPersistent(false);
        }
        if (body == null) {
            exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, 0);
            exchange.endExchange();
            return;
        }
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, body.contentType());
        exchange.getResponseSender().send(java.nio.ByteBuffer.wrap(body.bytes()));
    }

    /** An API error as its status and body. */
    static void fail(HttpServerExchange exchange, ApiException e) {
        e.headers().forEach((k, v) -> exchange.getResponseHeaders().put(new io.undertow.util.HttpString(k), v));
        send(exchange, e.status(), error(e.code(), e.getMessage()));
    }
}
