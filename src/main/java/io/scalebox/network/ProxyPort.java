package io.scalebox.network;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayDeque;

/** One VM's host port in the {@link ProxyLoop}: its listening socket, open and silent connections, refusals. */
final class ProxyPort implements AutoCloseable {
    private static final org.apache.logging.log4j.Logger LOG = org.apache.logging.log4j.LogManager.getLogger(ProxyLoop.class);
    private static final long REPORT_MILLIS = 10_000;
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

    /** Refusals are logged at most once per {@link #REPORT_MILLIS} per port (a flood must not flood the journal). */
    void report(long now, ProxyLoop.Limits limits) {
        if (refusedSinceReport > 0 && now - lastReport >= REPORT_MILLIS) {
            LOG.warn("{}: refused or dropped {} connection(s) in the last {} s (caps: {} per port, {} per address,"
                    + " {} silent per port)", vmId, refusedSinceReport, REPORT_MILLIS / 1000, limits.perPort(),
                    limits.perAddress(), limits.silentPerPort());
            refusedSinceReport = 0;
            lastReport = now;
        }
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
