package io.scalebox.fleet;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * etcd v3 through its gRPC-JSON gateway (POST /v3/..., the same paths in 3.4, 3.5 and 3.6), unary
 * calls only. Keys and values are base64, int64s are strings and zero values are left out (a
 * failed txn has no "succeeded", an expired lease's keepalive no "TTL"). Each call tries the
 * endpoint that answered last, then the others, each within {@link #timeout}; a member without
 * a leader fails at once instead of hanging (the hasleader metadata). docs/benchmarks.md says
 * why this and not jetcd.
 */
public final class Etcd {
    /** One key: its value as text and its revisions (0 when absent). */
    public record Kv(String key, String value, long createRevision, long modRevision, long lease) {
    }

    /** A txn's outcome: whether the compares held, and the keys the failure branch read. */
    public record TxnResult(boolean succeeded, List<Kv> read) {
    }

    /** Where the TLS context comes from (PEM files read at the first call). */
    @FunctionalInterface
    public interface Tls {
        Optional<SSLContext> context() throws Exception;
    }

    private final List<URI> endpoints;
    private final Tls tls;
    private final Duration timeout;
    private HttpClient http;
    private volatile int preferred;

    public Etcd(List<URI> endpoints, Optional<SSLContext> tls, Duration timeout) {
        this(endpoints, () -> tls, timeout);
    }

    /** The client and its TLS context are made at the first call: a few hundred ms that never delay /health. */
    public Etcd(List<URI> endpoints, Tls tls, Duration timeout) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no etcd endpoint");
        }
        this.endpoints = List.copyOf(endpoints);
        this.timeout = timeout;
        this.tls = tls;
    }

    private synchronized HttpClient http() throws EtcdException {
        if (http == null) {
            HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER);
            try {
                tls.context().ifPresent(b::sslContext);
            } catch (Exception e) {
                throw new EtcdException("TLS set-up from FLEET_ETCD_CA/CERT/KEY failed: " + e.getMessage(), true);
            }
            http = b.build();
        }
        return http;
    }

    public Optional<Kv> get(String key) throws EtcdException {
        JsonObject body = new JsonObject();
        body.addProperty("key", b64(key));
        List<Kv> kvs = kvs(call("/v3/kv/range", body));
        return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.get(0));
    }

    /** Every key under {@code prefix} (bounded by {@code limit}). */
    public List<Kv> prefix(String prefix, int limit) throws EtcdException {
        JsonObject body = new JsonObject();
        body.addProperty("key", b64(prefix));
        body.addProperty("range_end", rangeEnd(prefix));
        body.addProperty("limit", String.valueOf(limit));
        return kvs(call("/v3/kv/range", body));
    }

    /** Writes {@code key}; {@code lease} 0 for none. */
    public void put(String key, String value, long lease) throws EtcdException {
        call("/v3/kv/put", putBody(key, value, lease));
    }

    public Txn txn() {
        return new Txn(this);
    }

    public long grant(long ttlSeconds) throws EtcdException {
        JsonObject body = new JsonObject();
        body.addProperty("TTL", String.valueOf(ttlSeconds));
        return Long.parseLong(call("/v3/lease/grant", body).get("ID").getAsString());
    }

    /** Renews the lease; the seconds it has left, 0 when it is gone (expired or revoked). */
    public long keepAlive(long lease) throws EtcdException {
        JsonObject body = new JsonObject();
        body.addProperty("ID", String.valueOf(lease));
        JsonObject reply = call("/v3/lease/keepalive", body);
        JsonObject result = reply.has("result") ? reply.getAsJsonObject("result") : reply;
        return result.has("TTL") ? Long.parseLong(result.get("TTL").getAsString()) : 0;
    }

    public void revoke(long lease) throws EtcdException {
        JsonObject body = new JsonObject();
        body.addProperty("ID", String.valueOf(lease));
        call("/v3/lease/revoke", body);
    }

    TxnResult commit(JsonObject txn) throws EtcdException {
        JsonObject reply = call("/v3/kv/txn", txn);
        List<Kv> read = new ArrayList<>();
        if (reply.has("responses")) {
            for (JsonElement r : reply.getAsJsonArray("responses")) {
                JsonObject o = r.getAsJsonObject();
                if (o.has("response_range")) {
                    read.addAll(kvs(o.getAsJsonObject("response_range")));
                }
            }
        }
        return new TxnResult(reply.has("succeeded") && reply.get("succeeded").getAsBoolean(), read);
    }

    static JsonObject putBody(String key, String value, long lease) {
        JsonObject body = new JsonObject();
        body.addProperty("key", b64(key));
        body.addProperty("value", b64(value));
        if (lease != 0) {
            body.addProperty("lease", String.valueOf(lease));
        }
        return body;
    }

    /**
     * POSTs to the endpoint that answered last, then to the others in turn. An endpoint that
     * cannot be reached, times out or has no leader is skipped; an answer of etcd's (an error
     * such as "lease not found" too) ends the call.
     */
    private JsonObject call(String path, JsonObject body) throws EtcdException {
        byte[] json = body.toString().getBytes(StandardCharsets.UTF_8);
        HttpClient http = http();
        String last = "no endpoint";
        int first = preferred;
        for (int i = 0; i < endpoints.size(); i++) {
            int n = (first + i) % endpoints.size();
            URI uri = endpoints.get(n).resolve(path);
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout)
                    .header("Content-Type", "application/json")
                    .header("Grpc-Metadata-hasleader", "true")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
            HttpResponse<String> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                last = endpoints.get(n) + ": " + describe(e);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EtcdException("interrupted", true);
            }
            JsonObject reply = parse(response.body());
            if (response.statusCode() / 100 == 2 && reply != null && !reply.has("error")) {
                preferred = n;
                return reply;
            }
            String message = reply != null && reply.has("message") ? reply.get("message").getAsString()
                    : "HTTP " + response.statusCode();
            // 503 / grpc Unavailable (14): no leader, or the member is stopping: another may serve.
            if (response.statusCode() == 503 || message.contains("no leader") || reply != null && reply.has("code")
                    && reply.get("code").getAsInt() == 14) {
                last = endpoints.get(n) + ": " + message;
                continue;
            }
            preferred = n;
            throw new EtcdException(message, false);
        }
        throw new EtcdException("etcd unavailable (" + last + ")", true);
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : " " + m);
    }

    private static JsonObject parse(String text) {
        try {
            JsonElement e = JsonParser.parseString(text);
            return e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static List<Kv> kvs(JsonObject range) {
        List<Kv> out = new ArrayList<>();
        JsonArray kvs = range.has("kvs") ? range.getAsJsonArray("kvs") : new JsonArray();
        for (JsonElement e : kvs) {
            JsonObject kv = e.getAsJsonObject();
            out.add(new Kv(text(kv, "key"), text(kv, "value"), number(kv, "create_revision"),
                    number(kv, "mod_revision"), number(kv, "lease")));
        }
        return out;
    }

    private static String text(JsonObject o, String field) {
        return o.has(field) ? new String(Base64.getDecoder().decode(o.get(field).getAsString()), StandardCharsets.UTF_8)
                : "";
    }

    private static long number(JsonObject o, String field) {
        return o.has(field) ? Long.parseLong(o.get(field).getAsString()) : 0;
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The end of a prefix range: the prefix with its last byte plus one (our keys are ASCII). */
    static String rangeEnd(String prefix) {
        byte[] b = prefix.getBytes(StandardCharsets.UTF_8);
        b[b.length - 1]++;
        return Base64.getEncoder().encodeToString(b);
    }
}
