package io.scalebox.config;

/** Dotted-quad IPv4 text to and from its 32-bit value, without any name lookup. */
public final class Ipv4 {
    private Ipv4() {
    }

    /** The address as an int, or null when the text is not a dotted quad. */
    public static Integer parse(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        int value = 0;
        for (String part : parts) {
            // No leading zeros: "010" means octal to some tools and decimal to others.
            if (!part.matches("0|[1-9][0-9]{0,2}")) {
                return null;
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                return null;
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    public static String format(int value) {
        return ((value >>> 24) & 0xff) + "." + ((value >>> 16) & 0xff) + "."
                + ((value >>> 8) & 0xff) + "." + (value & 0xff);
    }
}
