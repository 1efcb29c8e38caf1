package io.scalebox.agent;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.BiFunction;

/**
 * A stand-in qemu-guest-agent on a Unix socket, as honest or as hostile as a test wants: it
 * answers guest-sync-delimited as qemu-ga does (0xFF, then the id) and every other request with
 * what {@code answer} makes of it (the request, and the id to echo): the bytes to send, or null
 * for no answer at all.
 */
final class FakeAgent implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Thread thread;
    volatile BiFunction<JsonObject, String, byte[]> answer;
    volatile boolean answerSync = true;
    /** Sent before the sync's sentinel (stale bytes of an earlier answer). */
    volatile byte[] beforeSentinel = new byte[0];

    FakeAgent(Path socket, BiFunction<JsonObject, String, byte[]> answer) throws IOException {
        this.answer = answer;
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        thread = new Thread(this::serve, "fake-agent");
        thread.setDaemon(true);
        thread.start();
    }

    /** An honest answer: {"return": value, "id": id}. */
    static byte[] ok(String valueJson, String id) {
        return ("{\"return\": " + valueJson + ", \"id\": " + id + "}\n").getBytes(StandardCharsets.UTF_8);
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel client = server.accept()) {
                InputStream in = Channels.newInputStream(client);
                OutputStream out = Channels.newOutputStream(client);
                ByteArrayOutputStream line = new ByteArrayOutputStream();
                for (int b; (b = in.read()) >= 0; ) {
                    if (b == 0xFF) {
                        line.reset();
                        continue;
                    }
                    if (b != '\n') {
                        line.write(b);
                        continue;
                    }
                    JsonObject request = JsonParser.parseString(line.toString(StandardCharsets.UTF_8)).getAsJsonObject();
                    line.reset();
                    String command = request.get("execute").getAsString();
                    if (command.equals("guest-sync-delimited")) {
                        if (answerSync) {
                            out.write(beforeSentinel);
                            out.write(0xFF);
                            out.write(("{\"return\": " + request.getAsJsonObject("arguments").get("id") + "}\n")
                                    .getBytes(StandardCharsets.UTF_8));
                        }
                        continue;
                    }
                    byte[] reply = answer.apply(request, String.valueOf(request.get("id")));
                    if (reply != null) {
                        out.write(reply);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the client went, or the test closed the agent
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        thread.interrupt();
    }
}
