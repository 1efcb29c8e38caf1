package io.scalebox.network;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayDeque;

/** One VM's host port in the {@link ProxyLoop}: its listening socket, open and silent connections, refusals. */
final class ProxyPort implements AutoCloseable {
    final ProxyLoop loop;
    final String vmId;
    final InetSocketAddress guest;
    final ServerSocketChannel channel;
    /** Connections whose client has not sent a byte yet, oldest first (loop thread only). */
    final ArrayDeque<ProxyConnection> silent = new ArrayDeque<>();
    int open;
    long refusedSinceReport;
    long lastReport;
    // Totals since the port opened (the VM started or the daemon re-attached), for /metrics.
    long accepted;
    long refused;
    long bytesToGuest;
    long bytesFromGuest;

    ProxyPort(ProxyLoop loop, String vmId, InetSocketAddress guest, ServerSocketChannel channel) {
        this.loop = loop;
        this.vmId = vmId;
        this.guest = guest;
        this.channel = channel;
    }

    /** A connection refused or dropped by a cap: counted for the rate-limited report. */
    void refusedOne() {
        refusedSinceReport++;
        refused++;
    }

    ProxyTraffic traffic() {
        return new ProxyTraffic(open, accepted, refused, bytesToGuest, bytesFromGuest);
    }

    @Override
    public void close() {
        loop.runOnLoop(() -> {
            ProxyLoop.closeQuietly(channel);
            loop.closeConnections(this);
        });
    }
}
