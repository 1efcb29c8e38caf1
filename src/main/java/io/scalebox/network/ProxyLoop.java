package io.scalebox.network;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
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
    /**
     * Accepts per selector round: the descriptors of closed channels are released only by the
     * next select, so an unbounded round under a connection flood would exhaust them.
     */
    private static final int ACCEPTS_PER_ROUND = 128;

    private final Limits limits;
    private final Selector selector;
    private final Thread thread;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Set<ProxyConnection> connections = new HashSet<>();
    /** Open ports, and drained ones whose sessions run on (loop thread only). */
    private final Set<ProxyPort> ports = new HashSet<>();
    private final Map<InetAddress, Integer> perAddress = new HashMap<>();
    private volatile boolean closed;

    public ProxyLoop(Limits limits) throws IOException {
        this.limits = limits;
        this.selector = Selector.open();
        this.thread = new Thread(this::run, "proxy-loop");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public AutoCloseable open(String vmId, int hostPort, InetSocketAddress guest) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            // The next forwarder (a package upgrade) binds the same port beside this one, which then
            // stops accepting and lets its sessions run out (Forwarder's drain). The kernel lets
            // only sockets of the same user share a port: no other account can take its clients.
            server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            // A deep backlog: a burst of hostile connects must not crowd out the next real client
            // before the loop has accepted (and refused) them. The kernel caps it at somaxconn.
            server.bind(new InetSocketAddress(hostPort), 4096);
            server.configureBlocking(false);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        ProxyPort listener = new ProxyPort(this, vmId, guest, server);
        runOnLoop(() -> {
            try {
                server.register(selector, SelectionKey.OP_ACCEPT, listener);
                ports.add(listener);
            } catch (ClosedChannelException e) {
                // closed before it was registered
            }
        });
        return listener;
    }

    /** Runs {@code task} on the loop's thread and waits for it (from the loop itself: at once). */
    void runOnLoop(Runnable task) {
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
        if (key.attachment() instanceof ProxyPort listener) {
            acceptAll(listener);
            return;
        }
        ProxyConnection c = (ProxyConnection) key.attachment();
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

    private void acceptAll(ProxyPort listener) {
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
                listener.refusedOne();
                continue;
            }
            try {
                client.configureBlocking(false);
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ProxyConnection c = new ProxyConnection(this, listener, client, from);
                connections.add(c);
                listener.open++;
                listener.accepted++;
                perAddress.merge(from, 1, Integer::sum);
                c.clientKey = client.register(selector, SelectionKey.OP_READ, c);
                listener.silent.add(c);
                if (listener.silent.size() > limits.silentPerPort()) {
                    listener.silent.peekFirst().close(); // real clients speak at once; the oldest silent one is not one
                    listener.refusedOne();
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
        for (ProxyConnection c : new ArrayList<>(connections)) {
            c.tick(now);
        }
        for (ProxyPort p : ports) {
            p.report(now, limits);
        }
    }

    Selector selector() {
        return selector;
    }

    Limits limits() {
        return limits;
    }

    /** A connection of {@code port} is gone: its places are free again. */
    void forget(ProxyConnection c, InetAddress from) {
        connections.remove(c);
        perAddress.computeIfPresent(from, (k, v) -> v > 1 ? v - 1 : null);
    }

    /** Ends every connection of {@code port}, which is gone (on the loop's thread). */
    void closeConnections(ProxyPort port) {
        ports.remove(port);
        for (ProxyConnection c : new ArrayList<>(connections)) {
            if (c.port == port) {
                c.close();
            }
        }
    }

    /** Each open VM port's connections and bytes, by VM id. */
    public Map<String, ProxyTraffic> traffic() {
        Map<String, ProxyTraffic> out = new HashMap<>();
        runOnLoop(() -> ports.forEach(p -> out.put(p.vmId, p.traffic())));
        return out;
    }

    /**
     * Stops accepting on every port (their listening sockets close) and keeps the connections
     * open: a successor has the ports now, and these sessions run out here.
     */
    public void drain() {
        runOnLoop(() -> {
            for (SelectionKey key : selector.keys()) {
                if (key.attachment() instanceof ProxyPort p) {
                    acceptAll(p); // whoever is in its backlog still gets served
                    closeQuietly(p.channel);
                }
            }
        });
    }

    /** Connections open now. */
    public int openConnections() {
        int[] n = new int[1];
        runOnLoop(() -> n[0] = connections.size());
        return n[0];
    }

    @Override
    public void close() {
        runOnLoop(() -> {
            for (ProxyConnection c : new ArrayList<>(connections)) {
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

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // already closed
        }
    }
}
