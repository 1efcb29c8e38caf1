package io.scalebox.network;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/** One VM's host port in the {@link ProxyLoop}: its listening socket, counters and silent connections. */
final class ProxyPort implements AutoCloseable {
    final ProxyLoop loop;
    final String vmId;
    final InetSocketAddress guest;
    final ServerSocketChannel channel;
    final AtomicLong accepted = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong bytesIn = new AtomicLong();
    final AtomicLong bytesOut = new AtomicLong();
    /** Connections whose client has not sent a byte yet, oldest first (loop thread only). */
    final ArrayDeque<ProxyConnection> silent = new ArrayDeque<>();
    int open;
    long refusedSinceReport;
    long lastReport;

    ProxyPort(ProxyLoop loop, String vmId, InetSocketAddress guest, ServerSocketChannel channel) {
        this.loop = loop;
        this.vmId = vmId;
        this.guest = guest;
        this.channel = channel;
    }

    /** A connection refused or dropped by a cap: counted, and reported at a rate limit. */
    void refusedOne() {
        refused.incrementAndGet();
        refusedSinceReport++;
    }

    @Override
    public void close() {
        loop.runOnLoop(() -> {
            ProxyLoop.closeQuietly(channel);
            loop.closeConnections(this);
        });
    }
}
