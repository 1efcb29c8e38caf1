package io.scalebox.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.scalebox.config.Cidr;
import io.scalebox.config.Ipv4;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The text of the containment rules (the e2e isolation suite attacks the real ones). Checked
 * here: what must be in them and that nothing names another table.
 */
class FirewallTest {
    private static final ForwardingTable.Guest GUEST = new ForwardingTable.Guest("vm-0123456789ab", "sbx0123456789",
            "02:01:23:45:67:89", Ipv4.parse("172.16.0.2"), 22001);

    private static String rules(List<Cidr> allow, List<Cidr> deny, List<String> dns, List<ForwardingTable.Guest> g) {
        return new Firewall("br0", Cidr.parse("172.16.0.1/16"), allow, deny, () -> dns).ruleset(g);
    }

    @Test
    void bothTablesAreReplacedAtomicallyAndNoOtherIsNamed() {
        String r = rules(List.of(), List.of(), List.of(), List.of(GUEST));
        assertTrue(r.startsWith("table inet scalebox\ndelete table inet scalebox\ntable bridge scalebox\n"
                + "delete table bridge scalebox\n"), "atomic replace of both");
        Matcher m = Pattern.compile("^table (\\S+ \\S+)", Pattern.MULTILINE).matcher(r);
        while (m.find()) {
            assertTrue(m.group(1).equals("inet scalebox") || m.group(1).equals("bridge scalebox"), m.group(1));
        }
    }

    @Test
    void forwardsMatchOnlyTrafficToTheHost() {
        String r = rules(List.of(), List.of(), List.of(), List.of(GUEST));
        assertTrue(r.contains("fib daddr type local udp dport 22001 dnat ip to 172.16.0.2:22001 comment \"vm-0123456789ab\""));
        assertTrue(r.contains("ip daddr 172.16.0.2 udp dport 22001 ct status dnat accept"));
        assertTrue(r.contains("ip saddr 172.16.0.0/16 ip daddr != 172.16.0.0/16 masquerade"));
    }

    @Test
    void guestsAreDeniedTheSpecialRangesTheHostAndEachOther() {
        String r = rules(List.of(), List.of(Cidr.parse("8.8.8.8/32")), List.of("192.0.2.53"), List.of(GUEST));
        for (String range : List.of("10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16",
                "127.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4", "8.8.8.8/32")) {
            assertTrue(r.contains(range), range);
        }
        assertTrue(r.contains("iifname \"br0\" jump guest_to_host"));
        assertTrue(r.contains("oifname \"br0\" counter drop comment \"guest to guest\""));
        assertTrue(r.contains("elements = { 192.0.2.53 }"), "the DNS servers");
        assertTrue(r.contains("ip daddr @dns meta l4proto { tcp, udp } th dport 53 accept"));
        assertTrue(r.indexOf("ip daddr @allowed accept") < r.indexOf("ip daddr @denied counter drop"),
                "the allow list opens holes in the denied ranges");
        assertTrue(r.contains("iifname \"sbx*\" oifname \"sbx*\" counter drop"), "no frame between TAPs");
    }

    @Test
    void eachTapMaySendOnlyItsOwnAddresses() {
        String r = rules(List.of(), List.of(), List.of(), List.of(GUEST));
        assertTrue(r.contains("iifname \"sbx0123456789\" jump guest_0123456789ab"));
        for (String rule : List.of("ether saddr != 02:01:23:45:67:89 counter drop",
                "arp saddr ether != 02:01:23:45:67:89 counter drop", "arp saddr ip != 172.16.0.2 counter drop",
                "ip saddr != 172.16.0.2 counter drop", "ether type != { ip, arp } counter drop")) {
            assertTrue(r.contains(rule), rule);
        }
        assertTrue(r.indexOf("jump guest_0123456789ab") < r.indexOf("iifname \"sbx*\" counter drop comment \"TAP of no VM\""));
    }

    @Test
    void allowAndDenyListsAreWrittenAsNetworks() {
        String r = rules(List.of(Cidr.parse("10.20.0.5/16")), List.of(), List.of(), List.of());
        assertTrue(r.contains("set allowed {\n    type ipv4_addr; flags interval;\n    elements = { 10.20.0.0/16 }"));
        assertFalse(r.contains("set dns {\n    type ipv4_addr; flags interval;\n    elements"), "no empty element list");
    }
}
