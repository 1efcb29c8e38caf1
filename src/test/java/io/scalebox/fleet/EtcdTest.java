package io.scalebox.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway client against a stand-in that answers as etcd 3.4's gateway does (fields as
 * recorded from Debian's etcd 3.4.23: zero values left out, int64 as strings). The real etcd is
 * the fleet suite's.
 */
class EtcdTest {
    private final List<HttpServer> servers = new ArrayList<>();
    private final ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    private URI serve(int status, Function<JsonObject, String> answer) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", ex -> {
            JsonObject body = JsonParser.parseString(new String(ex.getRequestBody().readAllBytes(),
                    StandardCharsets.UTF_8)).getAsJsonObject();
            seen.add(ex.getRequestURI().getPath() + " " + body + " hasleader=" + ex.getRequestHeaders()
                    .getFirst("Grpc-Metadata-hasleader"));
            byte[] out = answer.apply(body).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        s.start();
        servers.add(s);
        return URI.create("http://127.0.0.1:" + s.getAddress().getPort());
    }

    private static URI closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }

    private static Etcd etcd(URI... endpoints) {
        return new Etcd(List.of(endpoints), Optional.empty(), Duration.ofSeconds(2));
    }

    @Test
    void keysAreBase64AndAPrefixEndsAtTheNextByte() throws Exception {
        URI e = serve(200, b -> "{\"header\":{\"revision\":\"5\"},\"kvs\":[{\"key\":\"L3NiL3ZtL2E=\",\"value\":\"eyJ4IjoxfQ==\","
                + "\"create_revision\":\"4\",\"mod_revision\":\"5\",\"version\":\"2\"}],\"count\":\"1\"}");
        List<Etcd.Kv> kvs = etcd(e).prefix("/sb/vm/", 10);
        assertEquals(List.of(new Etcd.Kv("/sb/vm/a", "{\"x\":1}", 4, 5, 0)), kvs);
        String request = seen.peek();
        assertTrue(request.startsWith("/v3/kv/range {\"key\":\"L3NiL3ZtLw==\",\"range_end\":\"L3NiL3ZtMA==\""), request);
        assertTrue(request.endsWith("hasleader=true"), "a member without a leader must fail fast: " + request);
    }

    @Test
    void anEmptyRangeHasNoKvsField() throws Exception {
        URI e = serve(200, b -> "{\"header\":{\"revision\":\"2\"}}");
        assertEquals(Optional.empty(), etcd(e).get("/none"));
    }

    @Test
    void aFailedTxnHasNoSucceededField() throws Exception {
        URI e = serve(200, b -> "{\"header\":{},\"responses\":[{\"response_range\":{\"kvs\":[{\"key\":\"bg==\","
                + "\"value\":\"dg==\",\"mod_revision\":\"9\"}]}}]}");
        Etcd.TxnResult r = etcd(e).txn().absent("n").put("n", "x").orRead("n").commit();
        assertFalse(r.succeeded());
        assertEquals("v", r.read().get(0).value());
        assertTrue(seen.peek().contains("\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\""));
    }

    @Test
    void aKeepaliveOfAGoneLeaseHasNoTtl() throws Exception {
        URI e = serve(200, b -> b.get("ID").getAsString().equals("1")
                ? "{\"result\":{\"header\":{},\"ID\":\"1\",\"TTL\":\"10\"}}" : "{\"result\":{\"header\":{},\"ID\":\"2\"}}");
        assertEquals(10, etcd(e).keepAlive(1));
        assertEquals(0, etcd(e).keepAlive(2));
    }

    @Test
    void anUnreachableOrLeaderlessMemberIsSkipped() throws Exception {
        URI leaderless = serve(503, b -> "{\"error\":\"etcdserver: no leader\",\"message\":\"etcdserver: no leader\","
                + "\"code\":14}");
        URI good = serve(200, b -> "{\"header\":{},\"ID\":\"77\",\"TTL\":\"10\"}");
        assertEquals(77, etcd(closedPort(), leaderless, good).grant(10));
    }

    @Test
    void etcdsOwnRefusalEndsTheCall() throws Exception {
        URI refusing = serve(404, b -> "{\"error\":\"etcdserver: requested lease not found\","
                + "\"message\":\"etcdserver: requested lease not found\",\"code\":5}");
        URI never = serve(200, b -> "{}");
        EtcdException ex = assertThrows(EtcdException.class, () -> etcd(refusing, never).revoke(3));
        assertFalse(ex.unavailable());
        assertTrue(ex.getMessage().contains("lease not found"));
        assertEquals(1, seen.size());
    }

    @Test
    void noMemberAnsweringIsUnavailable() throws Exception {
        EtcdException ex = assertThrows(EtcdException.class, () -> etcd(closedPort(), closedPort()).get("/k"));
        assertTrue(ex.unavailable());
    }
}
