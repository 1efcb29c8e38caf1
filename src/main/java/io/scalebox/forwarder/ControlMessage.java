package io.scalebox.forwarder;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One JSON object on one line, over the forwarder's control socket (a Unix socket). Both ends
 * bound what they read: at most {@link #MAX_BYTES}, within a deadline, nested at most
 * {@link #MAX_DEPTH} deep. The forwarder is the less privileged end, and faces the internet:
 * the root daemon reads its answers as it would a stranger's.
 */
final class ControlMessage {
    /** A table of some 40,000 VM ports. */
    static final int MAX_BYTES = 4 * 1024 * 1024;
    static final int MAX_DEPTH = 8;

    private ControlMessage() {
    }

    static void write(SocketChannel channel, JsonObject message) throws IOException {
        ByteBuffer out = ByteBuffer.wrap((message + "\n").getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            channel.write(out);
        }
    }

    /** Reads one line within {@code deadline} and parses it (the channel is non-blocking afterwards). */
    static JsonObject read(SocketChannel channel, Duration deadline) throws IOException {
        long end = System.nanoTime() + deadline.toNanos();
        channel.configureBlocking(false);
        ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        try (Selector selector = Selector.open()) {
            channel.register(selector, SelectionKey.OP_READ);
            while (true) {
                long left = (end - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw new SocketTimeoutException("no complete answer within " + deadline.toMillis() + " ms");
                }
                selector.select(left);
                selector.selectedKeys().clear();
                int n = channel.read(in);
                if (n < 0) {
                    throw new IOException("connection closed before a complete line");
                }
                in.flip();
                while (in.hasRemaining()) {
                    byte b = in.get();
                    if (b == '\n') {
                        return parse(line.toString(StandardCharsets.UTF_8));
                    }
                    if (line.size() >= MAX_BYTES) {
                        throw new IOException("a line over " + MAX_BYTES + " bytes");
                    }
                    line.write(b);
                }
                in.clear();
            }
        }
    }

    static JsonObject parse(String text) throws IOException {
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setNestingLimit(MAX_DEPTH);
            return JsonParser.parseReader(reader).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException("not a JSON object: " + e.getMessage());
        }
    }
}
