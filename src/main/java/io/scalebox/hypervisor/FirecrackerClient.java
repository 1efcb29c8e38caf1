package io.scalebox.hypervisor;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.scalebox.host.ControlSocket;
import io.scalebox.host.LocalHttp;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;

/** Firecracker's HTTP API on its Unix socket: one request per connection, every answer checked. */
final class FirecrackerClient {
    /** A request's whole exchange (a hung Firecracker must not hold a daemon thread). */
    private static final Duration LIMIT = Duration.ofSeconds(30);
    private final Path socket;

    FirecrackerClient(Path socket) {
        this.socket = socket;
    }

    /** Sends the request; any status but 2xx becomes an exception with Firecracker's fault_message. */
    void send(String method, String path, JsonObject body) throws HypervisorException {
        try (ControlSocket control = ControlSocket.bounded(socket, LIMIT)) {
            SocketChannel ch = control.channel();
            LocalHttp.Reply reply = LocalHttp.exchange(Channels.newOutputStream(ch), Channels.newInputStream(ch),
                    method, path, "localhost", body.toString());
            if (!reply.ok()) {
                throw new HypervisorException("firecracker " + method + " " + path + " answered " + reply.status()
                        + ": " + fault(reply.body()));
            }
        } catch (IOException e) {
            throw new HypervisorException("firecracker " + method + " " + path + " failed: " + e.getMessage(), e);
        }
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
