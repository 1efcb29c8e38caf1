package io.scalebox.network;

import io.scalebox.config.Ipv4;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's upstream DNS servers, handed to guests on the kernel command line. A
 * loopback resolver (systemd-resolved's stub, dnsmasq) is unreachable from a guest, so
 * resolved's own upstream list is preferred and loopback entries are skipped.
 */
public final class Resolvers {
    /** ip= carries at most two servers, and only IPv4 fits its colon-separated fields. */
    private static final int MAX = 2;
    private final List<Path> files;

    public Resolvers(List<Path> files) {
        this.files = List.copyOf(files);
    }

    public static Resolvers host() {
        return new Resolvers(List.of(Path.of("/run/systemd/resolve/resolv.conf"), Path.of("/etc/resolv.conf")));
    }

    /** From the first file that names a usable server; empty when none does (guests use their fallback). */
    public List<String> nameservers() {
        for (Path file : files) {
            List<String> found = parse(file);
            if (!found.isEmpty()) {
                return found;
            }
        }
        return List.of();
    }

    static List<String> parse(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].equals("nameserver") && usable(f[1]) && !out.contains(f[1]) && out.size() < MAX) {
                out.add(f[1]);
            }
        }
        return out;
    }

    private static boolean usable(String address) {
        Integer value = Ipv4.parse(address);
        int first = value == null ? 0 : value >>> 24;
        return first != 0 && first != 127;
    }
}
