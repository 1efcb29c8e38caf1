package io.scalebox.network;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Forwards every VM's host port to its guest's SSH port on one selector thread, whatever the
 * number of connections. Nobody authenticates these connections, so everything is bounded:
 * connections per port and per client address, a client that sends nothing, a connection
 * without traffic, a guest that does not answer. Bytes a client sends before the guest side
 * is connected wait in the connection's buffer (connecting is retried while the guest boots).
 */
public final class ProxyLoop implements PortProxies, AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(ProxyLoop.class);
    private static final int BUFFER = 64 * 1024;

    /** The bounds; {@link #DEFAULT} in the daemon, smaller ones in tests. */
    public record Limits(int perPort, int perAddress, int silentPerPort, long connectPatienceMillis,
                         long silentClientMillis, long idleMillis) {
    }

    /**
     * 256 connections per VM port, 16 per client address (over all ports), 4 per port that have
     * not sent a byte yet (the oldest goes), 120 s for a booting guest to accept, 60 s for a
     * client to send its first byte, 2 h without traffic. Silent connections are capped because
     * each one holds a pre-authentication slot of the guest's sshd (MaxStartups, 10 by default):
     * a flood of them would lock real users out of the VM.
     */
    public static final Limits DEFAULT = new Limits(256, 16, 4, 120_000, 60_000, 2 * 3600_000);
    private static final long RETRY_MILLIS = 250;
    /**
     * The guest is connected to when the client speaks (SSH clients send their banner at once),
     * or after this long for a client that waits for the server's: silent connections never
     * take one of the guest sshd's pre-authentication slots (MaxStartups) before that.
     */
    private static final long SPEAK_FIRST_MILLIS = 2000;
    /**
     * Accepts per selector round: the descriptors of closed channels are released only by the
     * next select, so an unbounded round under a connection flood would exhaust them.
     */
    private static final int ACCEPTS_PER_ROUND = 128;
    private static final long REPORT_MILLIS = 10_000;

    private final Limits limits;
    private final Selector selector;
    private final Thread thread;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Set<Connection> connections = new HashSet<>();
    private final Map<InetAddress, Integer> perAddress = new HashMap<>();
    private volatile boolean closed;

    public ProxyLoop(Limits limits) throws IOException {
        this.limits = limits;
        this.selector = Selector.open();
        this.thread = new Thread(this::run, "proxy-loop");
        thread.setDaemon(true);
        thread.start();
    }

    /** Counters of one port, for the logs and the metrics. */
    public static final class Counters {
        final AtomicLong accepted = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong bytesIn = new AtomicLong();
        final AtomicLong bytesOut = new AtomicLong();

        public long accepted() {
            return accepted.get();
        }

        public long refused() {
            return refused.get();
        }
    }

    /** One VM's port. */
    private final class Listener implements AutoCloseable {
        final String vmId;
        final InetSocketAddress guest;
        final ServerSocketChannel channel;
        final Counters counters = new Counters();
        /** Connections whose client has not sent a byte yet, oldest first, and per address. */
        final ArrayDeque<Connection> silent = new ArrayDeque<>();
        int open;
        long refusedSinceReport;
        long lastReport;

        Listener(String vmId, InetSocketAddress guest, ServerSocketChannel channel) {
            this.vmId = vmId;
            this.guest = guest;
            this.channel = channel;
        }

        @Override
        public void close() {
            runOnLoop(() -> {
                closeQuietly(channel);
                for (Connection c : new ArrayList<>(connections)) {
                    if (c.listener == this) {
                        c.close();
                    }
                }
            });
        }
    }

    @Override
    public AutoCloseable open(String vmId, int hostPort, InetSocketAddress guest) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            // A deep backlog: a burst of hostile connects must not crowd out the next real client
            // before the loop has accepted (and refused) them. The kernel caps it at somaxconn.
            server.bind(new InetSocketAddress(hostPort), 4096);
            server.configureBlocking(false);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        Listener listener = new Listener(vmId, guest, server);
        runOnLoop(() -> {
            try {
                server.register(selector, SelectionKey.OP_ACCEPT, listener);
            } catch (ClosedChannelException e) {
                // closed before it was registered
            }
        });
        return listener;
    }

    /** Runs {@code task} on the loop's thread and waits for it (from the loop itself: at once). */
    private void runOnLoop(Runnable task) {
        if (Thread.currentThread() == thread || closed) {
            task.run();
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        tasks.add(() -> {
            try {
                task.run();
            } finally {
                done.countDown();
            }
        });
        selector.wakeup();
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        long nextSweep = 0;
        while (!closed) {
            try {
                selector.select(1000);
                for (Runnable r; (r = tasks.poll()) != null; ) {
                    r.run();
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    handle(key);
                }
                selector.selectedKeys().clear();
                long now = System.currentTimeMillis();
                if (now >= nextSweep) {
                    sweep(now);
                    nextSweep = now + 250;
                }
            } catch (IOException | RuntimeException e) {
                // One bad key must not stop every VM's port.
                LOG.error("proxy loop: {}", e.toString());
            }
        }
    }

    private void handle(SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        if (key.attachment() instanceof Listener listener) {
            acceptAll(listener);
            return;
        }
        Connection c = (Connection) key.attachment();
        try {
            if (key.isConnectable()) {
                c.finishConnect();
            } else {
                c.pump();
            }
        } catch (IOException e) {
            c.close();
        }
    }

    private void acceptAll(Listener listener) {
        for (int round = 0; round < ACCEPTS_PER_ROUND; round++) {
            SocketChannel client;
            try {
                client = listener.channel.accept();
            } catch (IOException e) {
                // e.g. EMFILE: the port stays open; the client waits in the backlog.
                LOG.warn("{}: accept failed: {}", listener.vmId, e.getMessage());
                return;
            }
            if (client == null) {
                return;
            }
            InetAddress from = ((InetSocketAddress) socketAddress(client)).getAddress();
            if (listener.open >= limits.perPort() || perAddress.getOrDefault(from, 0) >= limits.perAddress()) {
                closeQuietly(client);
                listener.counters.refused.incrementAndGet();
                listener.refusedSinceReport++;
                continue;
            }
            try {
                client.configureBlocking(false);
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Connection c = new Connection(listener, client, from);
                connections.add(c);
                listener.open++;
                perAddress.merge(from, 1, Integer::sum);
                listener.counters.accepted.incrementAndGet();
                c.clientKey = client.register(selector, SelectionKey.OP_READ, c);
                listener.silent.add(c);
                if (listener.silent.size() > limits.silentPerPort()) {
                    listener.silent.peekFirst().close(); // real clients speak at once; the oldest silent one is not one
                    listener.counters.refused.incrementAndGet();
                    listener.refusedSinceReport++;
                }
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private static java.net.SocketAddress socketAddress(SocketChannel ch) {
        try {
            return ch.getRemoteAddress();
        } catch (IOException e) {
            return new InetSocketAddress(0);
        }
    }

    /** Timeouts, connect retries, and the rate-limited report of refused connections. */
    private void sweep(long now) {
        for (Connection c : new ArrayList<>(connections)) {
            c.tick(now);
        }
        for (SelectionKey key : selector.keys()) {
            if (key.attachment() instanceof Listener l && l.refusedSinceReport > 0
                    && now - l.lastReport >= REPORT_MILLIS) {
                LOG.warn("{}: refused or dropped {} connection(s) in the last {} s (caps: {} per port, {} per address,"
                        + " {} silent per port)", l.vmId, l.refusedSinceReport, REPORT_MILLIS / 1000, limits.perPort(),
                        limits.perAddress(), limits.silentPerPort());
                l.refusedSinceReport = 0;
                l.lastReport = now;
            }
        }
    }

    /** One client and its guest connection, each direction with its own buffer. */
    private final class Connection {
        final Listener listener;
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

        Connection(Listener listener, SocketChannel client, InetAddress from) {
            this.listener = listener;
            this.client = client;
            this.from = from;
        }

        void connect() throws IOException {
            dialing = true;
            guest = SocketChannel.open();
            guest.configureBlocking(false);
            guest.setOption(StandardSocketOptions.TCP_NODELAY, true);
            boolean now = guest.connect(listener.guest);
            guestKey = guest.register(selector, now ? 0 : SelectionKey.OP_CONNECT, this);
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
                closeQuietly(guest);
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
            if (!connected && now - acceptedAt > limits.connectPatienceMillis()) {
                LOG.info("{}: guest port {} unreachable; closing client {}", listener.vmId,
                        listener.guest.getPort(), from.getHostAddress());
                close();
            } else if (!clientSpoke && now - acceptedAt > limits.silentClientMillis()) {
                close();
            } else if (now - lastTraffic > limits.idleMillis()) {
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
                        listener.counters.bytesIn.addAndGet(n);
                    }
                }
                if (connected && !guestEof && toClient.hasRemaining()) {
                    int n = guest.read(toClient);
                    if (n < 0) {
                        guestEof = true;
                    } else if (n > 0) {
                        moved = true;
                        listener.counters.bytesOut.addAndGet(n);
                    }
                }
                if (connected) {
                    moved |= flush(toGuest, guest) > 0;
                }
                moved |= flush(toClient, client) > 0;
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
            listener.silent.remove(this);
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
            closeQuietly(client);
            if (guest != null) {
                closeQuietly(guest);
            }
            connections.remove(this);
            if (!clientSpoke) {
                spoke();
            }
            listener.open--;
            perAddress.computeIfPresent(from, (k, v) -> v > 1 ? v - 1 : null);
        }
    }

    /** Connections open now (for tests and metrics). */
    public int openConnections() {
        int[] n = new int[1];
        runOnLoop(() -> n[0] = connections.size());
        return n[0];
    }

    @Override
    public void close() {
        runOnLoop(() -> {
            for (Connection c : new ArrayList<>(connections)) {
                c.close();
            }
            for (SelectionKey key : selector.keys()) {
                closeQuietly(key.channel());
            }
        });
        closed = true;
        selector.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(selector);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // already closed
        }
    }
}
