package io.scalebox.network;

import io.scalebox.config.Cidr;
import io.scalebox.config.Ipv4;
import io.scalebox.host.Command;
import io.scalebox.host.CommandException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;

/**
 * The nftables table {@code inet scalebox}: outbound NAT and forwarding for the VM subnet and
 * the UDP (mosh) port forwards. The whole table is rewritten atomically from the current set
 * of VMs, so it never holds a rule of a VM that no longer exists; no other table is touched.
 */
public final class Firewall implements ForwardingTable {
    public static final String TABLE = "inet scalebox";

    private final String bridge;
    private final Cidr subnet;

    public Firewall(String bridge, Cidr subnet) {
        this.bridge = bridge;
        this.subnet = subnet;
    }

    @Override
    public synchronized void apply(Collection<Forward> forwards) throws CommandException {
        Command.run(List.of("nft", "-f", "-"), ruleset(forwards), Duration.ofSeconds(10));
    }

    @Override
    public synchronized java.util.Set<String> vmIdsInTable() {
        java.util.Set<String> ids = new java.util.TreeSet<>();
        try {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("comment \"(vm-[0-9a-f]{12})\"")
                    .matcher(Command.run(List.of("nft", "list", "table", "inet", "scalebox"), Duration.ofSeconds(10)));
            while (m.find()) {
                ids.add(m.group(1));
            }
        } catch (CommandException e) {
            // no table yet
        }
        return ids;
    }

    public synchronized void remove() throws CommandException {
        Command.run(List.of("nft", "-f", "-"), "table " + TABLE + "\ndelete table " + TABLE + "\n",
                Duration.ofSeconds(10));
    }

    String ruleset(Collection<Forward> forwards) {
        String net = Ipv4.format(subnet.network()) + "/" + subnet.prefix();
        StringBuilder dnat = new StringBuilder();
        StringBuilder localDnat = new StringBuilder();
        for (Forward f : forwards) {
            String to = Ipv4.format(f.guestAddress()) + ":" + f.port();
            String comment = " comment \"" + f.vmId() + "\"\n";
            dnat.append("    udp dport ").append(f.port()).append(" dnat ip to ").append(to).append(comment);
            // Clients on this host itself (not via loopback, which cannot be routed to the bridge).
            localDnat.append("    fib daddr type local ip daddr != 127.0.0.0/8 udp dport ").append(f.port())
                    .append(" dnat ip to ").append(to).append(comment);
        }
        return "table " + TABLE + "\n"
                + "delete table " + TABLE + "\n"
                + "table " + TABLE + " {\n"
                + "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n"
                + dnat + "  }\n"
                + "  chain output {\n    type nat hook output priority -100; policy accept;\n"
                + localDnat + "  }\n"
                + "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n"
                + "    ip saddr " + net + " ip daddr != " + net + " masquerade\n  }\n"
                + "  chain forward {\n    type filter hook forward priority filter; policy accept;\n"
                + "    iifname \"" + bridge + "\" accept\n"
                + "    oifname \"" + bridge + "\" ct state established,related accept\n"
                + "    oifname \"" + bridge + "\" ip daddr " + net + " udp dport { " + ports(forwards) + " } accept\n"
                + "  }\n}\n";
    }

    private static String ports(Collection<Forward> forwards) {
        // An empty set is not valid nft syntax; port 0 never matches real traffic.
        return forwards.isEmpty() ? "0" : String.join(", ", forwards.stream()
                .map(f -> String.valueOf(f.port())).distinct().toList());
    }
}
