package io.scalebox.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Calls scaleboxd's REST API; failures become CLI errors with the API's own message. */
public final class ApiClient {
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    /** A create copies a disk where the filesystem cannot clone it: allow minutes. */
    private static final int READ_TIMEOUT_MS = 600_000;

    private final String base;
    private final Optional<String> token;

    public ApiClient(String base, Optional<String> token) {
        this.base = base;
        this.token = token;
    }

    /** Status and body of one call. {@code body} is the raw text, empty for 204. */
    public record Reply(int status, String body) {
        public JsonObject json() throws CliException {
            try {
                JsonElement e = JsonParser.parseString(body);
                if (e.isJsonObject()) {
                    return e.getAsJsonObject();
                }
            } catch (JsonParseException e) {
                // reported below
            }
            throw new CliException(Exit.API, "the server answered HTTP " + status + " with a body that is not JSON");
        }
    }

    /** A user's id or name as one path segment: "/" or "?" in it cannot reach another endpoint. */
    public static String segment(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public Reply get(String path) throws CliException {
        return call("GET", path, null);
    }

    public Reply post(String path, JsonObject body) throws CliException {
        return call("POST", path, body == null ? new JsonObject() : body);
    }

    public Reply delete(String path) throws CliException {
        return call("DELETE", path, null);
    }

    /**
     * Follows a server-sent event stream: each event's data line goes to {@code data}, until
     * the server closes it. Heartbeats (every 15 s) keep the read timeout from firing.
     */
    public void stream(String path, java.util.Optional<String> lastEventId, java.util.function.Consumer<String> data)
            throws CliException {
        HttpURLConnection c = null;
        try {
            c = open("GET", path, "text/event-stream", 60_000);
            if (lastEventId.isPresent()) {
                c.setRequestProperty("Last-Event-ID", lastEventId.get());
            }
            int status = c.getResponseCode();
            if (status >= 400) {
                throw new CliException(Exit.API, errorMessage(status, read(c.getErrorStream())));
            }
            try (java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.startsWith("data:")) {
                        data.accept(line.substring(5).strip());
                    }
                }
            }
        } catch (SocketTimeoutException e) {
            throw unreachable("the event stream went silent (no heartbeat for 60 s)");
        } catch (IOException e) {
            throw unreachable(e.getMessage());
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    public Reply call(String method, String path, JsonObject body) throws CliException {
        return exchange(method, path, "application/json", c -> {
            if (body != null) {
                byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                c.setFixedLengthStreamingMode(bytes.length);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(bytes);
                }
            }
            return answer(c);
        }, (c, e) -> unreachable(e.getMessage())); // refused, no route, unknown host, reset
    }

    /** PUT of a stream as the request body (chunked: its length need not be known). */
    public Reply upload(String path, InputStream body) throws CliException {
        return exchange("PUT", path, "application/json", c -> {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/octet-stream");
            c.setChunkedStreamingMode(64 * 1024);
            try (OutputStream out = c.getOutputStream()) {
                body.transferTo(out);
            }
            return answer(c);
        }, (c, e) -> refusal(c).orElseGet(() -> unreachable(e.getMessage())));
    }

    /** GET of a body written to {@code out} as it comes; fails when it is shorter than announced. */
    public void download(String path, OutputStream out) throws CliException {
        exchange("GET", path, "application/octet-stream", c -> {
            int status = c.getResponseCode();
            if (status >= 400) {
                throw new CliException(Exit.API, errorMessage(status, read(c.getErrorStream())));
            }
            long expected = c.getContentLengthLong();
            long n;
            try (InputStream in = c.getInputStream()) {
                n = in.transferTo(out);
            }
            if (expected >= 0 && n != expected) {
                throw new CliException(Exit.FAILURE, "the download ended after " + n + " of " + expected + " bytes");
            }
            return null;
        }, (c, e) -> e instanceof java.net.ConnectException ? unreachable(e.getMessage())
                : new CliException(Exit.FAILURE, "the download failed: " + e.getMessage()));
    }

    /** What one request does with its connection. */
    private interface Use<T> {
        T with(HttpURLConnection c) throws IOException, CliException;
    }

    /** How a request's I/O failure (not a timeout) is told. */
    private interface Failure {
        CliException of(HttpURLConnection c, IOException e);
    }

    /** One request: opened, used, always disconnected; a timeout is the server's silence. */
    private <T> T exchange(String method, String path, String accept, Use<T> use, Failure failure)
            throws CliException {
        HttpURLConnection c = null;
        try {
            c = open(method, path, accept, READ_TIMEOUT_MS);
            return use.with(c);
        } catch (SocketTimeoutException e) {
            throw unreachable("no answer in time");
        } catch (IOException e) {
            throw failure.of(c, e);
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    /** A request to the server with what every one carries: timeouts, no redirects, the token. */
    private HttpURLConnection open(String method, String path, String accept, int readTimeoutMs)
            throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(base + path).toURL().openConnection();
        c.setRequestMethod(method);
        c.setConnectTimeout(CONNECT_TIMEOUT_MS);
        c.setReadTimeout(readTimeoutMs);
        c.setInstanceFollowRedirects(false);
        c.setRequestProperty("Accept", accept);
        c.setRequestProperty("User-Agent", "scalebox-cli");
        if (token.isPresent() && !path.equals("/health")) {
            c.setRequestProperty("Authorization", "Bearer " + token.get());
        }
        return c;
    }

    private Reply answer(HttpURLConnection c) throws IOException, CliException {
        int status = c.getResponseCode();
        String text = read(status >= 400 ? c.getErrorStream() : c.getInputStream());
        if (status >= 400) {
            throw new CliException(Exit.API, errorMessage(status, text));
        }
        return new Reply(status, text);
    }

    /** The server's error answer, when the failure was its refusal (it stopped reading the body). */
    private Optional<CliException> refusal(HttpURLConnection c) {
        try {
            int status = c == null ? -1 : c.getResponseCode();
            if (status >= 400) {
                return Optional.of(new CliException(Exit.API, errorMessage(status, read(c.getErrorStream()))));
            }
        } catch (IOException | RuntimeException e) {
            // no answer either
        }
        return Optional.empty();
    }

    private CliException unreachable(String reason) {
        return new CliException(Exit.CONNECTION, "cannot reach scaleboxd at " + base + ": " + reason
                + " (is it running? systemctl status scaleboxd; the server is set by SCALEBOX_HOST or scalebox login)");
    }

    /** The API's message, then its code and the HTTP status: "VM not found (vm_not_found, HTTP 404)". */
    private String errorMessage(int status, String text) {
        String message;
        String code = "";
        try {
            JsonElement e = JsonParser.parseString(text);
            message = e.isJsonObject() && e.getAsJsonObject().has("error")
                    ? e.getAsJsonObject().get("error").getAsString() : "HTTP " + status;
            if (e.isJsonObject() && e.getAsJsonObject().has("code")) {
                code = e.getAsJsonObject().get("code").getAsString() + ", ";
            }
        } catch (RuntimeException e) {
            message = "HTTP " + status;
        }
        if (status == 401) {
            return message + (token.isEmpty() ? ": no API token; run 'scalebox login' or set SCALEBOX_TOKEN"
                    : ": the API token was rejected; run 'scalebox login' again");
        }
        return message + " (" + code + "HTTP " + status + ")";
    }

    private static String read(InputStream in) throws IOException {
        if (in == null) {
            return "";
        }
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
