package io.scalebox.agent;

import io.scalebox.host.ControlSocket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How the host reaches a guest's agent: a Unix socket in the VM's control directory, the
 * hypervisor's end of the guest's port. QEMU: a chardev socket wired to a virtio-serial port
 * named org.qemu.guest_agent.0. Firecracker: its hybrid vsock socket, where the host first says
 * {@code CONNECT <port>} and Firecracker answers {@code OK <port>}.
 */
public interface AgentChannel {
    /** Opens a fresh connection to the agent (a stream of bytes from then on). */
    SocketChannel open(Duration timeout) throws IOException;

    /**
     * Whether the hypervisor's end of the channel is there: the hypervisor makes it when it
     * starts, so without it no agent can ever answer (waiting for one would be in vain).
     */
    boolean exists();

    /** A channel behind a Unix socket of the hypervisor's. */
    private static AgentChannel at(Path socket, Opener opener) {
        return new AgentChannel() {
            @Override
            public SocketChannel open(Duration timeout) throws IOException {
                return opener.open(timeout);
            }

            @Override
            public boolean exists() {
                return Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            }
        };
    }

    /** How one channel connects. */
    @FunctionalInterface
    interface Opener {
        SocketChannel open(Duration timeout) throws IOException;
    }

    /** QEMU's chardev socket. */
    static AgentChannel qemu(Path socket) {
        return at(socket, timeout -> connect(socket));
    }

    /** Firecracker's vsock Unix socket and the guest port the agent listens on. */
    static AgentChannel firecrackerVsock(Path socket, int port) {
        return at(socket, timeout -> {
            SocketChannel ch = connect(socket);
            try {
                long deadline = System.nanoTime() + timeout.toNanos();
                ByteBuffer hello = ByteBuffer.wrap(("CONNECT " + port + "\n").getBytes(StandardCharsets.US_ASCII));
                while (hello.hasRemaining()) {
                    ch.write(hello); // a dozen bytes into an empty socket buffer
                }
                ch.configureBlocking(false);
                byte[] answer = readHandshake(ch, deadline);
                String line = new String(answer, StandardCharsets.US_ASCII);
                if (!line.matches("OK [0-9]{1,10}")) {
                    throw new AgentException(AgentException.Kind.UNAVAILABLE,
                            "vsock: no agent on port " + port + " (" + AgentException.quote(line) + ")");
                }
                return ch;
            } catch (IOException e) {
                ch.close();
                throw e;
            }
        });
    }

    /** The handshake's answer line: at most 32 bytes, read one at a time so nothing after it is lost. */
    private static byte[] readHandshake(SocketChannel ch, long deadline) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        try (java.nio.channels.Selector selector = java.nio.channels.Selector.open()) {
            ch.register(selector, java.nio.channels.SelectionKey.OP_READ);
            while (line.size() <= 32) {
                one.clear();
                int n = ch.read(one);
                if (n < 0) {
                    throw new AgentException(AgentException.Kind.UNAVAILABLE, "vsock: closed during the handshake");
                }
                if (n == 0) {
                    long left = (deadline - System.nanoTime()) / 1_000_000;
                    if (left <= 0) {
                        throw new AgentException(AgentException.Kind.TIMEOUT, "vsock: no handshake answer in time");
                    }
                    selector.select(left);
                    selector.selectedKeys().clear();
                    continue;
                }
                if (one.get(0) == '\n') {
                    return line.toByteArray();
                }
                line.write(one.get(0));
            }
        }
        throw new AgentException(AgentException.Kind.PROTOCOL, "vsock: a handshake answer over 32 bytes");
    }

    private static SocketChannel connect(Path socket) throws IOException {
        if (!Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new AgentException(AgentException.Kind.UNAVAILABLE, "no agent socket (the VM is not running)");
        }
        try {
            return ControlSocket.connect(socket);
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.UNAVAILABLE, "cannot reach the agent's socket: " + e.getMessage());
        }
    }
}
