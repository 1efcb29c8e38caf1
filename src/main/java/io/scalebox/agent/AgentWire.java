package io.scalebox.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * The byte stream to one guest agent, as a hostile peer's: every read has a deadline, an answer
 * (one line: qemu-ga ends each with a newline) is at most {@link #MAX_FRAME} bytes, and what is
 * skipped to find a sync's sentinel at most {@link #MAX_SKIP}. Past any bound the call fails and
 * the caller drops the connection; nothing the guest sends is kept beyond the current line.
 */
final class AgentWire implements AutoCloseable {
    /** The largest answer: a 1 MiB file chunk in base64 and its envelope fit well within it. */
    static final int MAX_FRAME = 2 * 1024 * 1024;
    /** What may precede a sync's 0xFF sentinel (a half-sent answer of a call that timed out). */
    static final int MAX_SKIP = 1024 * 1024;
    private static final byte SENTINEL = (byte) 0xFF;
    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);

    AgentWire(SocketChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, 0);
        in.flip(); // empty, ready to be read from
    }

    void write(byte[] bytes, long deadline) throws AgentException {
        ByteBuffer out = ByteBuffer.wrap(bytes);
        try {
            while (out.hasRemaining()) {
                if (channel.write(out) == 0) {
                    await(SelectionKey.OP_WRITE, deadline, "sending");
                }
            }
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.UNAVAILABLE, "the agent's channel broke: " + e.getMessage());
        }
    }

    /** Whatever the guest sent unasked is dropped (a later answer must not be taken for it). */
    void discardPending() throws AgentException {
        int dropped = 0;
        try {
            while (true) {
                in.clear();
                int n = channel.read(in);
                if (n < 0) {
                    throw new AgentException(AgentException.Kind.UNAVAILABLE, "the agent closed its channel");
                }
                dropped += n;
                if (n == 0 || dropped > MAX_SKIP) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.UNAVAILABLE, "the agent's channel broke: " + e.getMessage());
        } finally {
            in.clear();
            in.flip();
        }
        if (dropped > MAX_SKIP) {
            throw new AgentException(AgentException.Kind.PROTOCOL, "the agent sends without being asked");
        }
    }

    /** Skips everything up to and including the sync sentinel 0xFF. */
    void skipToSentinel(long deadline) throws AgentException {
        int skipped = 0;
        while (true) {
            while (in.hasRemaining()) {
                if (in.get() == SENTINEL) {
                    return;
                }
                if (++skipped > MAX_SKIP) {
                    throw new AgentException(AgentException.Kind.PROTOCOL,
                            "no sync sentinel within " + MAX_SKIP + " bytes");
                }
            }
            fill(deadline, "the sync's sentinel");
        }
    }

    /** The next line, without its newline; at most {@link #MAX_FRAME} bytes. */
    byte[] readLine(long deadline) throws AgentException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            while (in.hasRemaining()) {
                byte b = in.get();
                if (b == '\n') {
                    return line.toByteArray();
                }
                if (line.size() >= MAX_FRAME) {
                    throw new AgentException(AgentException.Kind.PROTOCOL, "an answer over " + MAX_FRAME + " bytes");
                }
                line.write(b);
            }
            fill(deadline, "an answer");
        }
    }

    /** Reads more into the (empty) buffer, waiting until {@code deadline}. */
    private void fill(long deadline, String what) throws AgentException {
        try {
            in.clear();
            int n;
            while ((n = channel.read(in)) == 0) {
                await(SelectionKey.OP_READ, deadline, "waiting for " + what);
            }
            if (n < 0) {
                throw new AgentException(AgentException.Kind.UNAVAILABLE, "the agent closed its channel");
            }
        } catch (IOException e) {
            if (e instanceof AgentException a) {
                in.flip();
                throw a;
            }
            in.clear();
            in.flip();
            throw new AgentException(AgentException.Kind.UNAVAILABLE, "the agent's channel broke: " + e.getMessage());
        }
        in.flip();
    }

    private void await(int op, long deadline, String what) throws IOException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new AgentException(AgentException.Kind.TIMEOUT, "no answer from the agent in time (" + what + ")");
        }
        SelectionKey key = channel.keyFor(selector);
        key.interestOps(op);
        selector.select(left);
        selector.selectedKeys().clear();
        key.interestOps(0);
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException e) {
            // closing anyway
        }
        try {
            channel.close();
        } catch (IOException e) {
            // closed
        }
    }
}
