package io.scalebox.hypervisor;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/** Firecracker's HTTP API on its Unix socket: one request per connection, every answer checked. */
final class FirecrackerClient {
    private final Path socket;

    FirecrackerClient(Path socket) {
        this.socket = socket;
    }

    /** Sends the request; any status but 2xx becomes an exception with Firecracker's fault_message. */
    void send(String method, String path, JsonObject body) throws HypervisorException {
        byte[] json = body.toString().getBytes(StandardCharsets.UTF_8);
        String head = method + " " + path + " HTTP/1.1\r\n"
                + "Host: localhost\r\n"
                + "Accept: application/json\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + json.length + "\r\n"
                + "Connection: close\r\n\r\n";
        try (SocketChannel ch = SocketChannel.open(VmSpec.controlAddress(socket))) {
            ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            ch.write(ByteBuffer.wrap(json));
            Reply reply = read(Channels.newInputStream(ch));
            if (reply.status() < 200 || reply.status() > 299) {
                throw new HypervisorException("firecracker " + method + " " + path + " answered " + reply.status()
                        + ": " + fault(reply.body()));
            }
        } catch (IOException e) {
            throw new HypervisorException("firecracker " + method + " " + path + " failed: " + e.getMessage(), e);
        }
    }

    private record Reply(int status, String body) {
    }

    private static Reply read(InputStream in) throws IOException {
        String status = line(in);
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: " + status);
        }
        int code;
        try {
            code = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("bad status line: " + status);
        }
        int length = -1;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            if (colon > 0 && h.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
                length = Integer.parseInt(h.substring(colon + 1).trim());
            }
        }
        byte[] body = length >= 0 ? in.readNBytes(length) : in.readAllBytes();
        return new Reply(code, new String(body, StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed mid-response");
            }
            if (c != '\r') {
                b.write(c);
            }
            if (b.size() > 8192) {
                throw new IOException("response header line too long");
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** Firecracker's {@code {"fault_message": …}}, or the raw body when it is not that. */
    static String fault(String body) {
        try {
            JsonElement e = JsonParser.parseString(body);
            if (e.isJsonObject() && e.getAsJsonObject().has("fault_message")) {
                return e.getAsJsonObject().get("fault_message").getAsString();
            }
        } catch (RuntimeException e) {
            // not JSON
        }
        String s = body.strip();
        return s.isEmpty() ? "(no fault message)" : s.substring(0, Math.min(s.length(), 300));
    }
}
