package io.scalebox.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads /etc/scalebox/config the way systemd's {@code EnvironmentFile=} does for the
 * forms the package writes: {@code KEY=value} lines, '#' and ';' comments, blank lines,
 * optional surrounding single or double quotes. Later lines win, as in systemd.
 */
public final class EnvFile {
    private EnvFile() {
    }

    /** The file's assignments in file order. */
    public static Map<String, String> read(Path file) throws IOException {
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    static Map<String, String> parse(List<String> lines) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : lines) {
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("#") || s.startsWith(";")) {
                continue;
            }
            int eq = s.indexOf('=');
            if (eq <= 0) {
                continue; // systemd ignores such lines too (with a warning of its own)
            }
            String key = s.substring(0, eq).strip();
            if (key.startsWith("export ")) {
                key = key.substring("export ".length()).strip();
            }
            values.put(key, unquote(s.substring(eq + 1).strip()));
        }
        return values;
    }

    private static String unquote(String v) {
        if (v.length() >= 2) {
            char first = v.charAt(0);
            if ((first == '"' || first == '\'') && v.charAt(v.length() - 1) == first) {
                return v.substring(1, v.length() - 1);
            }
        }
        return v;
    }
}
