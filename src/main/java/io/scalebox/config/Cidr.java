package io.scalebox.config;

/** An IPv4 interface address with prefix, e.g. 172.16.0.1/16: the bridge's (gateway's) address. */
public record Cidr(int address, int prefix) {

    public Cidr {
        if (prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("prefix out of range: " + prefix);
        }
    }

    /** Parses {@code a.b.c.d/p}; null when the text is not of that form. */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            return null;
        }
        Integer addr = Ipv4.parse(text.substring(0, slash));
        String p = text.substring(slash + 1);
        if (addr == null || !p.matches("[0-9]{1,2}")) {
            return null;
        }
        int prefix = Integer.parseInt(p);
        return prefix > 32 ? null : new Cidr(addr, prefix);
    }

    public int netmask() {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    public int network() {
        return address & netmask();
    }

    public int broadcast() {
        return network() | ~netmask();
    }

    /** The network in CIDR form, e.g. 10.0.0.0/8 for 10.1.2.3/8. */
    public String networkText() {
        return Ipv4.format(network()) + "/" + prefix;
    }

    public String addressText() {
        return Ipv4.format(address);
    }

    public String netmaskText() {
        return Ipv4.format(netmask());
    }

    @Override
    public String toString() {
        return addressText() + "/" + prefix;
    }
}
