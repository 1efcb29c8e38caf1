package io.scalebox.config;

/** One invalid configuration value: which key, what it held, what was expected. */
public record ConfigError(String key, String value, String expected) {

    /** The single log line an operator sees, e.g. {@code API_PORT="abc" is invalid: expected ...}. */
    public String message() {
        if (value == null) {
            return key + " is missing: expected " + expected;
        }
        return key + "=\"" + printable(value) + "\" is invalid: expected " + expected;
    }

    // A value could carry control characters into the journal; show them escaped.
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
