package io.scalebox.network;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Host ports for VM access: the lowest port of the range that is neither ours already nor
 * held by another process (TCP or UDP). Thread-safe.
 */
public final class PortPool {
    private final int min;
    private final int max;
    private final Set<Integer> used = new HashSet<>();
    private final IntPredicate freeOnHost;

    public PortPool(int min, int max) {
        this(min, max, PortPool::freeOnHost);
    }

    /** @param freeOnHost whether no other process holds the port (tests decide it themselves) */
    public PortPool(int min, int max, IntPredicate freeOnHost) {
        this.min = min;
        this.max = max;
        this.freeOnHost = freeOnHost;
    }

    public synchronized Optional<Integer> allocate() {
        for (int p = min; p <= max; p++) {
            if (!used.contains(p) && freeOnHost.test(p)) {
                used.add(p);
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    public synchronized boolean reserve(int port) {
        return port >= min && port <= max && used.add(port);
    }

    public synchronized void release(int port) {
        used.remove(port);
    }

    static boolean freeOnHost(int port) {
        try (ServerSocket tcp = new ServerSocket()) {
            tcp.setReuseAddress(true);
            tcp.bind(new InetSocketAddress(port));
        } catch (IOException e) {
            return false;
        }
        try (DatagramSocket udp = new DatagramSocket(null)) {
            udp.bind(new InetSocketAddress(port));
        } catch (IOException e) {
            return false;
        }
        return true;
    }
}
