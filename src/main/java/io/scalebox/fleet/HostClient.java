package io.scalebox.fleet;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * Calls another host's API with the fleet's token (the same on every host). The client never
 * follows redirects: the token goes to the host asked and nowhere else.
 */
public final class HostClient {
    /** An answer: status, body, and the headers a relay passes on. */
    public record Reply(int status, String body, Map<String, String> headers) {
    }

    private HttpClient http;
    private final String token;

    public HostClient(String token) {
        this.token = token;
    }

    /** Made at the first relay (loading java.net.http never delays the start). */
    public synchronized HttpClient http() {
        if (http == null) {
            http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(3))
                    .followRedirects(HttpClient.Redirect.NEVER).build();
        }
        return http;
    }

    public String authorization() {
        return "Bearer " + token;
    }

    public Reply send(String baseUrl, String method, String path, String json, Map<String, String> headers,
                      Duration timeout) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout)
                .header("Authorization", authorization())
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        headers.forEach(b::header);
        try {
            HttpResponse<String> r = http().send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), Map.of());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
