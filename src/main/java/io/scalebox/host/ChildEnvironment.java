package io.scalebox.host;

import java.util.HashMap;
import java.util.Map;

/**
 * The environment every child of the daemon gets: a fixed PATH and the C locale (parsable
 * output), nothing inherited. systemd hands the daemon /etc/scalebox/config as its
 * environment, API token included; no child (ip, nft, e2fsprogs, hypervisors) sees it.
 */
public final class ChildEnvironment {
    private ChildEnvironment() {
    }

    /** A new, modifiable map: PATH and LC_ALL only. */
    public static Map<String, String> minimal() {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("LC_ALL", "C");
        return env;
    }

    /** Replaces {@code env} (a ProcessBuilder's) with {@link #minimal()}. */
    public static void applyTo(Map<String, String> env) {
        env.clear();
        env.putAll(minimal());
    }
}
