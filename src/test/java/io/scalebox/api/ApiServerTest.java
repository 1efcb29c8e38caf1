package io.scalebox.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The HTTP contract of api.md (authentication, errors, routing) against a real Undertow server. */
class ApiServerTest {
    static final String TOKEN = "sb-test-token-0123456789abcdef";
    static final String METRICS_TOKEN = "sb-metrics-only-0123456789";
    static final io.scalebox.metrics.Metrics METRICS = new io.scalebox.metrics.Metrics();
    static ApiServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        List<Route> routes = List.of(
                Route.open("GET", "/health", r -> Response.ok(Map.of("status", "ok"))),
                Route.authenticated("GET", "/things/{id}", r -> Response.ok(Map.of("id", r.param("id")))),
                Route.authenticated("DELETE", "/things/{id}", r -> Response.noContent()),
                Route.authenticated("POST", "/echo", r -> Response.created(r.jsonObject())),
                // A streamed body as the file upload reads one: counted, within the route's cap.
                Route.stream("PUT", "/sink", exchange -> exchange.dispatch(() -> {
                    exchange.startBlocking();
                    try {
                        long n = exchange.getInputStream().readNBytes(8 * 1024 * 1024 + 1).length;
                        if (n > 8 * 1024 * 1024) {
                            Replies.send(exchange, 413, Replies.error("body_too_large", "over 8 MiB"));
                        } else {
                            Replies.send(exchange, 201, Replies.json(Map.of("bytes", n)));
                        }
                    } catch (java.io.IOException e) {
                        Replies.send(exchange, 400, Replies.error("invalid_body", e.getMessage()));
                    }
                })).body(8L * 1024 * 1024),
                Route.authenticated("GET", "/boom", r -> {
                    throw new IllegalStateException("secret internal detail");
                }),
                Route.metrics("GET", "/figures", r -> Response.text("text/plain; version=0.0.4", "x 1\n".getBytes())));
        server = new ApiServer("127.0.0.1", 0, new Authenticator(TOKEN, Optional.of(METRICS_TOKEN)), routes, METRICS);
        server.start(Optional.empty());
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    static HttpResponse<String> call(String method, String path, String authorization, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> authed(String method, String path, String body) throws Exception {
        return call(method, path, "Bearer " + TOKEN, body);
    }

    static String errorOf(HttpResponse<String> r) {
        assertEquals(Optional.of("application/json; charset=utf-8"), r.headers().firstValue("Content-Type"));
        JsonObject o = JsonParser.parseString(r.body()).getAsJsonObject();
        assertEquals(List.of("error", "code"), List.copyOf(o.keySet()), r.body());
        assertTrue(o.get("code").getAsString().matches("[a-z]+(_[a-z]+)*"), r.body());
        return o.get("error").getAsString();
    }

    static String codeOf(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject().get("code").getAsString();
    }

    @Test
    void healthNeedsNoToken() throws Exception {
        HttpResponse<String> r = call("GET", "/health", null, null);
        assertEquals(200, r.statusCode());
        assertEquals("{\"status\":\"ok\"}", r.body());
    }

    @Test
    void noHeaderIs401WithChallenge() throws Exception {
        HttpResponse<String> r = call("GET", "/things/1", null, null);
        assertEquals(401, r.statusCode());
        assertEquals(Optional.of("Bearer realm=\"scalebox\""), r.headers().firstValue("WWW-Authenticate"));
        assertFalse(errorOf(r).isEmpty());
        assertEquals("missing_token", codeOf(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "Token " + TOKEN,
        TOKEN, "Bearer\t" + TOKEN, "Bearer tok,en"})
    void malformedHeaderIs400(String header) throws Exception {
        HttpResponse<String> r = call("GET", "/things/1", header, null);
        assertEquals(400, r.statusCode(), header);
        assertTrue(errorOf(r).contains("Authorization"));
        assertEquals("malformed_authorization", codeOf(r));
    }

    @Test
    void wrongTokenIs401WithInvalidTokenChallenge() throws Exception {
        for (String wrong : List.of("sb-wrong", TOKEN + "x", TOKEN.substring(1))) {
            HttpResponse<String> r = call("GET", "/things/1", "Bearer " + wrong, null);
            assertEquals(401, r.statusCode());
            assertEquals(Optional.of("Bearer realm=\"scalebox\", error=\"invalid_token\""),
                    r.headers().firstValue("WWW-Authenticate"));
            assertEquals("Invalid token", errorOf(r));
            assertEquals("invalid_token", codeOf(r));
        }
    }

    @Test
    void rightTokenPassesAndSchemeIsCaseInsensitive() throws Exception {
        assertEquals(200, authed("GET", "/things/42", null).statusCode());
        assertEquals("{\"id\":\"42\"}", authed("GET", "/things/42", null).body());
        assertEquals(200, call("GET", "/things/42", "bearer " + TOKEN, null).statusCode());
    }

    @Test
    void metricsTokenOpensTheMetricsRouteOnly() throws Exception {
        HttpResponse<String> figures = call("GET", "/figures", "Bearer " + METRICS_TOKEN, null);
        assertEquals(200, figures.statusCode());
        assertEquals("x 1\n", figures.body());
        assertEquals(Optional.of("text/plain; version=0.0.4"), figures.headers().firstValue("Content-Type"));
        assertEquals(200, authed("GET", "/figures", null).statusCode(), "the API token reads metrics too");
        assertEquals(401, call("GET", "/figures", null, null).statusCode());
        assertEquals(401, call("GET", "/things/1", "Bearer " + METRICS_TOKEN, null).statusCode());
        assertEquals(401, call("DELETE", "/things/1", "Bearer " + METRICS_TOKEN, null).statusCode());
        assertEquals(401, call("GET", "/nope", "Bearer " + METRICS_TOKEN, null).statusCode());
    }

    @Test
    void requestsAreCountedByRoutePatternNotPath() throws Exception {
        long before = METRICS.requests("GET", "/things/{id}", 200);
        long unrouted = METRICS.requests("GET", io.scalebox.metrics.Metrics.NO_ROUTE, 404);
        long odd = METRICS.requests("other", io.scalebox.metrics.Metrics.NO_ROUTE, 401);
        authed("GET", "/things/a1", null);
        authed("GET", "/things/b2", null);
        authed("GET", "/no/such/" + System.nanoTime(), null);
        call("FROB", "/things/x", null, null);
        assertEquals(before + 2, METRICS.requests("GET", "/things/{id}", 200));
        assertEquals(unrouted + 1, METRICS.requests("GET", io.scalebox.metrics.Metrics.NO_ROUTE, 404));
        assertEquals(odd + 1, METRICS.requests("other", io.scalebox.metrics.Metrics.NO_ROUTE, 401),
                "a method a client made up is counted as other: it cannot add series");
    }

    @Test
    void unknownPathIs404OnlyForAuthenticatedCallers() throws Exception {
        assertEquals(401, call("GET", "/nope", null, null).statusCode());
        HttpResponse<String> r = authed("GET", "/nope", null);
        assertEquals(404, r.statusCode());
        assertEquals("Not found", errorOf(r));
        assertEquals("not_found", codeOf(r));
    }

    @Test
    void wrongMethodIs405WithAllow() throws Exception {
        HttpResponse<String> r = authed("PUT", "/things/1", "{}");
        assertEquals(405, r.statusCode());
        assertEquals(Optional.of("DELETE, GET"), r.headers().firstValue("Allow"));
        errorOf(r);
        HttpResponse<String> open = call("POST", "/health", null, "");
        assertEquals(405, open.statusCode(), "an open path answers 405 without a token");
        assertEquals(Optional.of("GET"), open.headers().firstValue("Allow"));
        assertEquals(401, call("PUT", "/things/1", null, "{}").statusCode(), "a protected path needs a token first");
    }

    @Test
    void jsonBodiesAreStrict() throws Exception {
        assertEquals(201, authed("POST", "/echo", "{\"a\":1}").statusCode());
        assertEquals("{}", authed("POST", "/echo", "").body(), "an empty body is an empty object");
        for (String bad : List.of("{", "{\"a\":1} trailing", "{a:1}", "[1,2]", "\"text\"", "{'a':1}", "nul")) {
            HttpResponse<String> r = authed("POST", "/echo", bad);
            assertEquals(400, r.statusCode(), bad);
            errorOf(r);
        }
    }

    @Test
    void oversizedBodyIs413() throws Exception {
        String big = "{\"a\":\"" + "x".repeat(ApiServer.MAX_BODY_BYTES) + "\"}";
        HttpResponse<String> r = authed("POST", "/echo", big);
        assertEquals(413, r.statusCode());
        assertTrue(errorOf(r).contains("too large"));
        assertEquals("body_too_large", codeOf(r));
    }

    /** A body of unknown length (chunked), as curl -T - or the CLI's cp from standard input send. */
    static HttpResponse<String> chunked(String method, String path, byte[] body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void chunkedBodiesAreHeldToTheirRoutesCap() throws Exception {
        HttpResponse<String> r = chunked("PUT", "/sink", new byte[3 * 1024 * 1024]);
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("{\"bytes\":3145728}", r.body());
        r = chunked("POST", "/echo", ("{\"a\":\"" + "x".repeat(ApiServer.MAX_BODY_BYTES) + "\"}").getBytes());
        assertEquals(413, r.statusCode(), r.body());
        assertEquals("body_too_large", codeOf(r));
        r = chunked("POST", "/echo", "{\"a\":1}".getBytes());
        assertEquals(201, r.statusCode(), r.body());
        r = chunked("PUT", "/sink", new byte[9 * 1024 * 1024]);
        assertEquals(413, r.statusCode(), "over the route's cap, the route answers (before Undertow's own cap)");
    }

    @Test
    void unexpectedFailureIs500WithoutDetails() throws Exception {
        HttpResponse<String> r = authed("GET", "/boom", null);
        assertEquals(500, r.statusCode());
        assertEquals("Internal server error", errorOf(r));
        assertEquals("internal_error", codeOf(r));
    }

    @Test
    void deleteAnswers204WithoutBody() throws Exception {
        HttpResponse<String> r = authed("DELETE", "/things/1", null);
        assertEquals(204, r.statusCode());
        assertEquals("", r.body());
    }

    @Test
    void tokenNeverAppearsInResponses() throws Exception {
        for (HttpResponse<String> r : List.of(call("GET", "/things/1", "Bearer nope", null),
                authed("GET", "/nope", null), authed("POST", "/echo", "{"))) {
            assertFalse(r.body().contains(TOKEN));
            assertFalse(r.headers().map().toString().contains(TOKEN));
        }
    }

    /**
     * The socket systemd holds across a restart: already bound and listening when the daemon
     * starts. A client that connected and sent its request before the server existed (waiting
     * in the backlog, as during a restart) is answered once it takes the socket over.
     */
    @Test
    void aSocketBoundBeforeTheServerIsTakenOverAndItsWaitingClientAnswered() throws Exception {
        java.nio.channels.ServerSocketChannel held = java.nio.channels.ServerSocketChannel.open();
        held.bind(new java.net.InetSocketAddress("127.0.0.1", 0), 16);
        int port = ((java.net.InetSocketAddress) held.getLocalAddress()).getPort();
        try (java.net.Socket early = new java.net.Socket("127.0.0.1", port)) {
            early.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            ApiServer next = new ApiServer("127.0.0.1", 9, new Authenticator(TOKEN, Optional.empty()),
                    List.of(Route.open("GET", "/health", r -> Response.ok(Map.of("status", "ok")))), METRICS);
            next.start(Optional.of(held));
            try {
                early.setSoTimeout(10_000);
                String answer = new String(early.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
                assertTrue(answer.endsWith("{\"status\":\"ok\"}"), answer);
                assertEquals(port, next.port(), "the socket it was given, not the configured port");
                HttpResponse<String> later = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/health")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, later.statusCode());
            } finally {
                next.stop();
            }
        }
        assertFalse(held.isOpen(), "closed with the server");
    }
}
