package io.scalebox.network;

import io.scalebox.config.Cidr;
import java.util.BitSet;
import java.util.Optional;

/** Guest addresses of the bridge's subnet: lowest free first, freed ones reused. Thread-safe. */
public final class AddressPool {
    private final Cidr subnet;
    private final BitSet used = new BitSet();

    public AddressPool(Cidr subnet) {
        this.subnet = subnet;
    }

    public synchronized Optional<Integer> allocate() {
        int hosts = (int) ((1L << (32 - subnet.prefix())) - 2);
        for (int i = 1; i <= hosts; i++) {
            int addr = subnet.network() + i;
            if (addr != subnet.address() && !used.get(i)) {
                used.set(i);
                return Optional.of(addr);
            }
        }
        return Optional.empty();
    }

    /** Marks an address taken (re-attaching a VM recorded before a restart). */
    public synchronized boolean reserve(int addr) {
        int i = addr - subnet.network();
        if (i <= 0 || addr == subnet.address() || addr >= subnet.broadcast() || used.get(i)) {
            return false;
        }
        used.set(i);
        return true;
    }

    public synchronized void release(int addr) {
        used.clear(addr - subnet.network());
    }

    public Cidr subnet() {
        return subnet;
    }
}
