package io.scalebox.hypervisor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A QEMU Machine Protocol session on a Unix socket: one command at a time. */
final class Qmp implements AutoCloseable {
    private final SocketChannel channel;
    private final BufferedReader in;

    private Qmp(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        in.readLine(); // greeting
        execute("qmp_capabilities");
    }

    static Qmp connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(VmSpec.controlAddress(socket));
        try {
            return new Qmp(ch);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    /** Runs a command; throws with QEMU's description when it answers with an error. */
    void execute(String command) throws IOException {
        channel.write(ByteBuffer.wrap(("{\"execute\":\"" + command + "\"}\n").getBytes(StandardCharsets.UTF_8)));
        for (int i = 0; i < 100; i++) {
            String line = in.readLine();
            if (line == null) {
                throw new IOException("QMP connection closed during " + command);
            }
            if (line.contains("\"return\"")) {
                return;
            }
            if (line.contains("\"error\"")) {
                throw new IOException("QMP " + command + " failed: " + line);
            }
            // anything else is an asynchronous event
        }
        throw new IOException("QMP " + command + ": no answer");
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
