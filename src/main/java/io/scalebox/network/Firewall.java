package io.scalebox.network;

import io.scalebox.config.Cidr;
import io.scalebox.config.Ipv4;
import io.scalebox.host.Command;
import io.scalebox.host.CommandException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The guests' containment, in scalebox's own tables only, replaced in one nft transaction:
 * <ul>
 * <li>{@code inet scalebox}: guests reach public destinations, the DNS servers they are given
 * (port 53) and GUEST_EGRESS_ALLOW; private, shared, special and reserved ranges (plus
 * GUEST_EGRESS_DENY), the host itself and other guests are dropped; from outside only
 * replies and the UDP forwards (to the host's own addresses) reach a guest; NAT out.</li>
 * <li>{@code bridge scalebox}: each TAP may only send its VM's MAC and IPv4 address (frames,
 * IPv4 and ARP), no IPv6 or other protocols, and never to another TAP.</li>
 * </ul>
 * Chains of other software are never touched; base chains keep policy accept for traffic
 * that is not the bridge's.
 */
public final class Firewall implements ForwardingTable {
    public static final String TABLE = "inet scalebox";
    public static final String BRIDGE_TABLE = "bridge scalebox";
    /** IANA's special-purpose IPv4 space, never a public destination (RFC 6890 and its updates). */
    static final List<String> SPECIAL = List.of("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
            "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
            "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final String bridge;
    private final Cidr subnet;
    private final List<Cidr> allow;
    private final List<Cidr> deny;
    private final Supplier<List<String>> dns;
    private String applied = "";

    /**
     * @param allow GUEST_EGRESS_ALLOW: reachable even inside the denied ranges (and on the host)
     * @param deny GUEST_EGRESS_DENY: denied on top of the special ranges
     * @param dns the DNS servers guests are given (port 53 to them is allowed)
     */
    public Firewall(String bridge, Cidr subnet, List<Cidr> allow, List<Cidr> deny, Supplier<List<String>> dns) {
        this.bridge = bridge;
        this.subnet = subnet;
        this.allow = List.copyOf(allow);
        this.deny = List.copyOf(deny);
        this.dns = dns;
    }

    @Override
    public synchronized void apply(Collection<Guest> guests) throws CommandException {
        Command.run(List.of("nft", "-f", "-"), ruleset(guests), TIMEOUT);
        applied = listing();
    }

    @Override
    public synchronized boolean intact() {
        return !applied.isEmpty() && applied.equals(listing());
    }

    /** Both tables without counter values (-s), so that traffic does not change the text; "" if one is gone. */
    private String listing() {
        try {
            return Command.run(List.of("nft", "-s", "list", "table", "inet", "scalebox"), TIMEOUT)
                    + Command.run(List.of("nft", "-s", "list", "table", "bridge", "scalebox"), TIMEOUT);
        } catch (CommandException e) {
            return "";
        }
    }

    @Override
    public synchronized Set<String> vmIdsInTable() {
        Set<String> ids = new TreeSet<>();
        try {
            Matcher m = Pattern.compile("comment \"(vm-[0-9a-f]{12})\"")
                    .matcher(Command.run(List.of("nft", "list", "table", "inet", "scalebox"), TIMEOUT));
            while (m.find()) {
                ids.add(m.group(1));
            }
        } catch (CommandException e) {
            // no table yet
        }
        return ids;
    }

    /** Whether the host's iptables-nft FORWARD chain (Docker's, typically) drops by default. */
    public boolean hostForwardDrops() {
        try {
            return Command.run(List.of("nft", "list", "chain", "ip", "filter", "FORWARD"), TIMEOUT)
                    .contains("policy drop");
        } catch (CommandException e) {
            return false;
        }
    }

    String ruleset(Collection<Guest> guests) {
        String net = subnet.networkText();
        String br = quote(bridge);
        StringBuilder dnat = new StringBuilder();
        StringBuilder localDnat = new StringBuilder();
        StringBuilder toGuests = new StringBuilder();
        StringBuilder ports = new StringBuilder();
        StringBuilder vmChains = new StringBuilder();
        for (Guest g : guests) {
            String ip = Ipv4.format(g.address());
            String to = ip + ":" + g.port();
            String comment = " comment \"" + g.vmId() + "\"\n";
            // Only traffic to the host itself: a guest's own outbound UDP to such a port elsewhere passes.
            dnat.append("    fib daddr type local udp dport ").append(g.port()).append(" dnat ip to ").append(to)
                    .append(comment);
            // Clients on this host itself (not via loopback, which cannot be routed to the bridge).
            localDnat.append("    fib daddr type local ip daddr != 127.0.0.0/8 udp dport ").append(g.port())
                    .append(" dnat ip to ").append(to).append(comment);
            toGuests.append("    ip daddr ").append(ip).append(" udp dport ").append(g.port()).append(" ct status dnat accept")
                    .append(comment);
            String chain = "guest_" + g.vmId().substring(3);
            ports.append("    iifname ").append(quote(g.tap())).append(" jump ").append(chain).append(comment);
            vmChains.append("  chain ").append(chain).append(" {\n")
                    .append("    ether saddr != ").append(g.mac()).append(" counter drop\n")
                    .append("    ether type arp arp saddr ether != ").append(g.mac()).append(" counter drop\n")
                    .append("    ether type arp arp saddr ip != ").append(ip).append(" counter drop\n")
                    .append("    ether type ip ip saddr != ").append(ip).append(" counter drop\n")
                    .append("    ether type != { ip, arp } counter drop\n")
                    .append("    accept\n")
                    .append("  }\n");
        }
        List<String> denied = new ArrayList<>(SPECIAL);
        deny.forEach(c -> denied.add(c.networkText()));
        return "table " + TABLE + "\ndelete table " + TABLE + "\n"
                + "table " + BRIDGE_TABLE + "\ndelete table " + BRIDGE_TABLE + "\n"
                + "table " + TABLE + " {\n"
                + set("denied", denied) + set("allowed", allow.stream().map(Cidr::networkText).toList())
                + set("dns", dns.get())
                + "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n" + dnat + "  }\n"
                + "  chain output {\n    type nat hook output priority -100; policy accept;\n" + localDnat + "  }\n"
                + "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n"
                + "    ip saddr " + net + " ip daddr != " + net + " masquerade\n  }\n"
                + "  chain input {\n    type filter hook input priority filter; policy accept;\n"
                + "    iifname " + br + " jump guest_to_host\n  }\n"
                + "  chain guest_to_host {\n"
                + "    ct state established,related accept\n"
                + "    ip daddr @dns meta l4proto { tcp, udp } th dport 53 accept\n"
                + "    ip daddr @allowed accept\n"
                + "    counter drop\n  }\n"
                + "  chain forward {\n    type filter hook forward priority filter; policy accept;\n"
                + "    iifname " + br + " jump from_guests\n"
                + "    oifname " + br + " jump to_guests\n  }\n"
                + "  chain from_guests {\n"
                + "    ct state established,related accept\n"
                + "    oifname " + br + " counter drop comment \"guest to guest\"\n"
                + "    meta nfproto != ipv4 counter drop\n"
                + "    ip saddr != " + net + " counter drop comment \"spoofed source\"\n"
                + "    ip daddr @dns meta l4proto { tcp, udp } th dport 53 accept\n"
                + "    ip daddr @allowed accept\n"
                + "    ip daddr @denied counter drop\n"
                + "    accept\n  }\n"
                + "  chain to_guests {\n"
                + "    ct state established,related accept\n"
                + toGuests
                + "    counter drop\n  }\n"
                + "}\n"
                + "table " + BRIDGE_TABLE + " {\n"
                + "  chain prerouting {\n    type filter hook prerouting priority filter; policy accept;\n"
                + ports
                + "    iifname \"" + Network.TAP_PREFIX + "*\" counter drop comment \"TAP of no VM\"\n  }\n"
                + vmChains
                + "  chain forward {\n    type filter hook forward priority filter; policy accept;\n"
                + "    iifname \"" + Network.TAP_PREFIX + "*\" oifname \"" + Network.TAP_PREFIX
                + "*\" counter drop comment \"guest to guest\"\n  }\n"
                + "}\n";
    }

    private static String set(String name, List<String> elements) {
        return "  set " + name + " {\n    type ipv4_addr; flags interval;\n"
                + (elements.isEmpty() ? "" : "    elements = { " + String.join(", ", elements) + " }\n") + "  }\n";
    }

    private static String quote(String name) {
        return "\"" + name + "\"";
    }
}
