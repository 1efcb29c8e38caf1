package io.scalebox.api;

import io.scalebox.vm.VmException;

import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The HTTP front: authentication, routing, body limits and the JSON error contract.
 * Handlers run on worker threads and only ever see a {@link Request}.
 */
public final class ApiServer implements HttpHandler {
    /** api.md: bodies over 64 KiB are refused. */
    public static final int MAX_BODY_BYTES = 64 * 1024;
    private static final Logger LOG = LogManager.getLogger(ApiServer.class);

    private final Router router;
    private final Authenticator authenticator;
    private final String bind;
    private final int port;
    private Undertow undertow;

    public ApiServer(String bind, int port, Authenticator authenticator, List<Route> routes) {
        this.bind = bind;
        this.port = port;
        this.authenticator = authenticator;
        this.router = new Router(routes);
    }

    /** Binds and serves; throws when the address cannot be bound. */
    public synchronized void start() {
        undertow = Undertow.builder()
                .addHttpListener(port, bind)
                .setIoThreads(2)
                .setWorkerThreads(64)
                .setHandler(this)
                .build();
        undertow.start();
    }

    /** The bound port (differs from the configured one when that was 0). */
    public synchronized int port() {
        return ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
    }

    public synchronized void stop() {
        if (undertow != null) {
            undertow.stop();
            undertow = null;
        }
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        if (exchange.isInIoThread()) {
            exchange.dispatch(this);
            return;
        }
        long started = System.nanoTime();
        String method = exchange.getRequestMethod().toString();
        String path = exchange.getRequestPath();
        int status;
        try {
            Response response;
            try {
                response = dispatch(exchange, method, path);
            } catch (VmException e) {
                throw ApiException.from(e);
            }
            status = response.status();
            send(exchange, status, response.body() == null ? null : Json.GSON.toJson(response.body()));
        } catch (ApiException e) {
            status = e.status();
            e.headers().forEach((k, v) -> exchange.getResponseHeaders().put(new HttpString(k), v));
            send(exchange, status, error(e.getMessage()));
        } catch (RuntimeException e) {
            status = 500;
            LOG.error("{} {} failed", method, path, e);
            send(exchange, status, error("Internal server error"));
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} {} {}ms", method, path, status, (System.nanoTime() - started) / 1_000_000);
        }
    }

    private Response dispatch(HttpServerExchange exchange, String method, String path)
            throws ApiException, VmException {
        Router.Match match = router.route(method, path);
        if (!match.open()) {
            authenticator.check(exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION));
        }
        if (!match.found()) {
            if (match.allowed().isEmpty()) {
                throw ApiException.notFound("Not found");
            }
            throw new ApiException(405, "Method " + method + " not allowed",
                    Map.of("Allow", String.join(", ", match.allowed())));
        }
        byte[] body = readBody(exchange);
        Map<String, String> query = new HashMap<>();
        for (Map.Entry<String, Deque<String>> q : exchange.getQueryParameters().entrySet()) {
            query.put(q.getKey(), q.getValue().peekFirst());
        }
        return match.route().handler().handle(new Request(match.params(), query, body));
    }

    private static byte[] readBody(HttpServerExchange exchange) throws ApiException {
        if (exchange.getRequestContentLength() > MAX_BODY_BYTES) {
            throw tooLarge();
        }
        exchange.startBlocking();
        try (InputStream in = exchange.getInputStream()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                throw tooLarge();
            }
            return body;
        } catch (IOException e) {
            throw ApiException.badRequest("Could not read request body: " + e.getMessage());
        }
    }

    private static ApiException tooLarge() {
        return new ApiException(413, "Request body too large (limit " + MAX_BODY_BYTES + " bytes)");
    }

    private static String error(String message) {
        return Json.GSON.toJson(Map.of("error", message));
    }

    private static void send(HttpServerExchange exchange, int status, String json) {
        exchange.setStatusCode(status);
        if (json == null) {
            exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, 0);
            exchange.endExchange();
            return;
        }
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json; charset=utf-8");
        exchange.getResponseSender().send(json, StandardCharsets.UTF_8);
    }
}
