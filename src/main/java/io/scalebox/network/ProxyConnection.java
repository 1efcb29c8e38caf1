package io.scalebox.network;

import java.io.IOException;
import java.net.InetAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One client of a VM port and its connection to the guest, each direction with its own buffer;
 * driven by the {@link ProxyLoop}'s thread only. The guest is dialled when the client speaks
 * (or after a while, for clients that wait for the server), retried while it boots.
 */
final class ProxyConnection {
    private static final Logger LOG = LogManager.getLogger(ProxyConnection.class);
    private static final int BUFFER = 64 * 1024;
    private static final long RETRY_MILLIS = 250;
    /**
     * The guest is connected to when the client speaks (SSH clients send their banner at once),
     * or after this long for a client that waits for the server's: silent connections never
     * take one of the guest sshd's pre-authentication slots (MaxStartups) before that.
     */
    private static final long SPEAK_FIRST_MILLIS = 2000;
    final ProxyLoop loop;
    final ProxyPort port;
    final SocketChannel client;
    final InetAddress from;
    final long acceptedAt = System.currentTimeMillis();
    // Direct buffers (no copy through a temporary one per read and write), made when the
    // client first sends something: a silent connection costs no buffer memory.
    ByteBuffer toGuest;
    ByteBuffer toClient;
    SelectionKey clientKey;
    SocketChannel guest;
    SelectionKey guestKey;
    boolean connected;
    boolean clientEof;
    boolean guestEof;
    boolean clientSpoke;
    boolean dialing;
    long retryAt = -1;
    long lastTraffic = acceptedAt;
    boolean done;

    ProxyConnection(ProxyLoop loop, ProxyPort port, SocketChannel client, InetAddress from) {
        this.loop = loop;
        this.port = port;
        this.client = client;
        this.from = from;
    }

    void connect() throws IOException {
        dialing = true;
        guest = SocketChannel.open();
        guest.configureBlocking(false);
        guest.setOption(StandardSocketOptions.TCP_NODELAY, true);
        boolean now = guest.connect(port.guest);
        guestKey = guest.register(loop.selector(), now ? 0 : SelectionKey.OP_CONNECT, this);
        if (now) {
            connected = true;
            interest();
        }
    }

    void finishConnect() throws IOException {
        try {
            guest.finishConnect();
            connected = true;
            interest();
        } catch (IOException e) {
            // The guest is still booting (refused, unreachable): try again shortly.
            guestKey.cancel();
            ProxyLoop.closeQuietly(guest);
            retryAt = System.currentTimeMillis() + RETRY_MILLIS;
        }
    }

    void tick(long now) {
        if (!dialing && now - acceptedAt >= SPEAK_FIRST_MILLIS) {
            try {
                connect(); // a client that waits for the server to speak first
            } catch (IOException e) {
                retryAt = now + RETRY_MILLIS;
            }
        }
        if (!connected && retryAt > 0 && now >= retryAt) {
            retryAt = -1;
            try {
                connect();
            } catch (IOException e) {
                retryAt = now + RETRY_MILLIS;
            }
        }
        if (!connected && now - acceptedAt > loop.limits().connectPatienceMillis()) {
            LOG.info("{}: guest port {} unreachable; closing client {}", port.vmId,
                    port.guest.getPort(), from.getHostAddress());
            close();
        } else if (!clientSpoke && now - acceptedAt > loop.limits().silentClientMillis()) {
            close();
        } else if (now - lastTraffic > loop.limits().idleMillis()) {
            close();
        }
    }

    /** Moves what can move now in both directions, until every socket would block. */
    void pump() throws IOException {
        if (toGuest == null) {
            toGuest = ByteBuffer.allocateDirect(BUFFER);
            toClient = ByteBuffer.allocateDirect(BUFFER);
        }
        boolean moved = true;
        while (moved) {
            moved = false;
            if (!clientEof && toGuest.hasRemaining()) {
                int n = client.read(toGuest);
                if (n < 0) {
                    clientEof = true;
                } else if (n > 0) {
                    moved = true;
                    if (!clientSpoke) {
                        spoke();
                        clientSpoke = true;
                    }
                    if (!dialing) {
                        connect();
                    }
                }
            }
            if (connected && !guestEof && toClient.hasRemaining()) {
                int n = guest.read(toClient);
                if (n < 0) {
                    guestEof = true;
                } else if (n > 0) {
                    moved = true;
                }
            }
            if (connected) {
                int n = flush(toGuest, guest);
                port.bytesToGuest += n;
                moved |= n > 0;
            }
            int n = flush(toClient, client);
            port.bytesFromGuest += n;
            moved |= n > 0;
        }
        lastTraffic = System.currentTimeMillis();
        if (connected && clientEof && toGuest.position() == 0) {
            guest.shutdownOutput();
        }
        if (guestEof && toClient.position() == 0) {
            client.shutdownOutput();
        }
        if (clientEof && guestEof && toGuest.position() == 0 && toClient.position() == 0) {
            close();
            return;
        }
        interest();
    }

    /** No longer silent (it spoke, or it is gone). */
    private void spoke() {
        port.silent.remove(this);
    }

    private int flush(ByteBuffer buffer, SocketChannel to) throws IOException {
        if (buffer.position() == 0) {
            return 0;
        }
        buffer.flip();
        int n = to.write(buffer);
        buffer.compact();
        return n;
    }

    /** What each side waits for: room to read into, or bytes to write out (set only when it changes). */
    void interest() {
        if (done) {
            return;
        }
        boolean roomToGuest = toGuest == null || toGuest.hasRemaining();
        boolean forClient = toClient != null && toClient.position() > 0;
        int c = (!clientEof && roomToGuest ? SelectionKey.OP_READ : 0) | (forClient ? SelectionKey.OP_WRITE : 0);
        if (clientKey.interestOps() != c) {
            clientKey.interestOps(c);
        }
        if (connected && guestKey != null) {
            boolean roomToClient = toClient == null || toClient.hasRemaining();
            boolean forGuest = toGuest != null && toGuest.position() > 0;
            int g = (!guestEof && roomToClient ? SelectionKey.OP_READ : 0) | (forGuest ? SelectionKey.OP_WRITE : 0);
            if (guestKey.interestOps() != g) {
                guestKey.interestOps(g);
            }
        }
    }

    void close() {
        if (done) {
            return;
        }
        done = true;
        ProxyLoop.closeQuietly(client);
        if (guest != null) {
            ProxyLoop.closeQuietly(guest);
        }
        if (!clientSpoke) {
            spoke();
        }
        port.open--;
        loop.forget(this, from);
    }
}
