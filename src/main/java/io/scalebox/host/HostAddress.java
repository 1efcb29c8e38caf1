package io.scalebox.host;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The address clients use to reach this host when HOST_IP is empty: the IPv4 address of
 * the interface that carries the default route (read from /proc/net/route; nothing is sent).
 */
public final class HostAddress {
    private HostAddress() {
    }

    public static String detect(Path procDir) {
        return defaultRouteInterface(procDir)
                .flatMap(HostAddress::ipv4Of)
                .or(HostAddress::anyNonLoopback)
                .orElse("127.0.0.1");
    }

    static Optional<String> defaultRouteInterface(Path procDir) {
        try {
            List<String> lines = Files.readAllLines(procDir.resolve("net/route"));
            // Iface Destination Gateway Flags RefCnt Use Metric Mask ...; default: destination 0, mask 0
            return lines.stream().skip(1)
                    .map(l -> l.trim().split("\\s+"))
                    .filter(f -> f.length >= 8 && f[1].equals("00000000") && f[7].equals("00000000"))
                    .map(f -> f[0])
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> ipv4Of(String ifname) {
        try {
            NetworkInterface nic = NetworkInterface.getByName(ifname);
            return nic == null ? Optional.empty() : first(Collections.list(nic.getInetAddresses()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> anyNonLoopback() {
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (nic.isUp() && !nic.isLoopback()) {
                    Optional<String> a = first(Collections.list(nic.getInetAddresses()));
                    if (a.isPresent()) {
                        return a;
                    }
                }
            }
        } catch (IOException e) {
            // fall through to loopback
        }
        return Optional.empty();
    }

    private static Optional<String> first(List<InetAddress> addresses) {
        return addresses.stream().filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
                .map(InetAddress::getHostAddress).findFirst();
    }
}
