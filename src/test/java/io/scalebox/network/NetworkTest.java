package io.scalebox.network;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NetworkTest {
    @Test
    void upIsReadFromTheFlagsOfTheLinkLine() {
        assertTrue(Network.isUp("3: sbx0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN\n"
                + "3: sbx0    inet 172.16.0.1/24 brd 172.16.0.255 scope global sbx0\\n"));
        assertFalse(Network.isUp("3: sbx0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT\n"
                + "3: sbx0    inet 172.16.0.1/24 brd 172.16.0.255 scope global sbx0\\n"));
        assertFalse(Network.isUp("3: sbx0: <BROADCAST,MULTICAST,LOWER_UP> mtu 1500\n"));
        assertFalse(Network.isUp(""));
    }
}
