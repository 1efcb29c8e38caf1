package io.scalebox.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.scalebox.config.Cidr;
import io.scalebox.config.Ipv4;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PoolsTest {
    @Test
    void addressesSkipNetworkGatewayAndBroadcastAndAreReused() {
        AddressPool pool = new AddressPool(Cidr.parse("10.9.0.1/29")); // .0 net, .1 gw, .7 broadcast
        for (String expected : new String[] {"10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"}) {
            assertEquals(expected, Ipv4.format(pool.allocate().orElseThrow()));
        }
        assertEquals(Optional.empty(), pool.allocate(), "exhausted");
        pool.release(Ipv4.parse("10.9.0.4"));
        assertEquals("10.9.0.4", Ipv4.format(pool.allocate().orElseThrow()), "freed address reused");
        assertFalse(pool.reserve(Ipv4.parse("10.9.0.1")), "gateway cannot be reserved");
    }

    @Test
    void gatewayInTheMiddleIsSkipped() {
        AddressPool pool = new AddressPool(Cidr.parse("10.9.0.3/29"));
        assertEquals("10.9.0.1", Ipv4.format(pool.allocate().orElseThrow()));
        assertEquals("10.9.0.2", Ipv4.format(pool.allocate().orElseThrow()));
        assertEquals("10.9.0.4", Ipv4.format(pool.allocate().orElseThrow()));
    }

    @Test
    void portsHeldByAnotherProcessAreSkipped() throws Exception {
        // A held port whose neighbour is free (other processes use ephemeral ports too).
        for (int attempt = 0; attempt < 20; attempt++) {
            try (ServerSocket holder = new ServerSocket()) {
                holder.bind(new InetSocketAddress(0));
                int held = holder.getLocalPort();
                if (held < 65535 && PortPool.freeOnHost(held + 1)) {
                    checkSkipsHeld(held);
                    return;
                }
            }
        }
        throw new AssertionError("no free neighbour of an ephemeral port in 20 attempts");
    }

    private static void checkSkipsHeld(int held) {
        PortPool pool = new PortPool(held, held + 1);
        assertEquals(held + 1, pool.allocate().orElseThrow(), "held port skipped");
        assertEquals(Optional.empty(), pool.allocate(), "range exhausted");
        pool.release(held + 1);
        assertEquals(held + 1, pool.allocate().orElseThrow());
    }

    @Test
    void tapNamesFitTheKernelLimit() {
        assertEquals("sbx0123456789", Network.tapName("vm-0123456789ab"));
        assertTrue(Network.tapName("vm-0123456789ab").length() <= 15);
    }
}
