package io.scalebox.hypervisor;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.scalebox.host.ControlSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A QEMU Machine Protocol session on a Unix socket: one command at a time. QEMU runs beside a
 * guest that may have taken it over, so its lines are bounded and the session has a deadline.
 */
final class Qmp implements AutoCloseable {
    /** The longest line read: QMP's answers to the commands sent here are a few hundred bytes. */
    static final int MAX_LINE = 64 * 1024;
    /** A session's whole life unless the caller gives another (a migration runs longer). */
    private static final Duration LIMIT = Duration.ofSeconds(10);
    private final ControlSocket socket;
    private final InputStream in;

    private Qmp(ControlSocket socket) throws IOException {
        this.socket = socket;
        this.in = Channels.newInputStream(socket.channel());
        line(); // greeting
        execute("qmp_capabilities");
    }

    static Qmp connect(Path path) throws IOException {
        return connect(path, LIMIT);
    }

    static Qmp connect(Path path, Duration limit) throws IOException {
        ControlSocket socket = ControlSocket.bounded(path, limit);
        try {
            return new Qmp(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Runs a command; throws with QEMU's description when it answers with an error. */
    void execute(String command) throws IOException {
        call(command, null);
    }

    /** Runs a command with arguments; returns its answer's "return" value. */
    JsonElement call(String command, JsonObject arguments) throws IOException {
        JsonObject request = new JsonObject();
        request.addProperty("execute", command);
        if (arguments != null) {
            request.add("arguments", arguments);
        }
        socket.channel().write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
        for (int i = 0; i < 100; i++) {
            String line = line();
            JsonObject answer;
            try {
                answer = JsonParser.parseString(line).getAsJsonObject();
            } catch (RuntimeException e) {
                throw new IOException("QMP " + command + ": an answer that is not a JSON object");
            }
            if (answer.has("return")) {
                return answer.get("return");
            }
            if (answer.has("error")) {
                throw new IOException("QMP " + command + " failed: " + line.substring(0, Math.min(line.length(), 300)));
            }
            // anything else is an asynchronous event
        }
        throw new IOException("QMP " + command + ": no answer");
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("QMP connection closed");
            }
            if (line.size() >= MAX_LINE) {
                throw new IOException("QMP sent a line over " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        socket.close();
    }
}
