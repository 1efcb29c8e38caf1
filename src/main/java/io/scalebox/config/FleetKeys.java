package io.scalebox.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The FLEET_* keys, checked together: the ones that only make sense with FLEET_ETCD must come with it. */
final class FleetKeys {
    private final ConfigParser parser;

    FleetKeys(ConfigParser parser) {
        this.parser = parser;
    }

    Fleet parse() {
        List<URI> etcd = endpoints();
        Optional<Path> ca = file(ConfigKey.FLEET_ETCD_CA);
        Optional<Path> cert = file(ConfigKey.FLEET_ETCD_CERT);
        Optional<Path> key = file(ConfigKey.FLEET_ETCD_KEY);
        Optional<URI> url = parser.optional(ConfigKey.FLEET_URL,
                "empty or this host's API URL as the other hosts reach it, e.g. http://10.0.0.5:8080 (not loopback)",
                s -> url(s, false));
        Optional<String> name = parser.optional(ConfigKey.FLEET_HOST_NAME,
                "empty (the host name) or a DNS label of 1 to 63 lowercase letters, digits or '-'",
                s -> s.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?") ? s : null);
        String prefix = parser.value(ConfigKey.FLEET_PREFIX,
                "an etcd key prefix such as /scalebox/v1: '/' then letters, digits, '_', '-', '.' or '/', no '/' at the end",
                s -> s.matches("/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*") && s.length() <= 128 ? s : null);
        int timeout = parser.integer(ConfigKey.FLEET_CREATE_TIMEOUT, 10, 86_400);
        if (etcd.isEmpty()) {
            return Fleet.off();
        }
        if (url.isEmpty() && ok(ConfigKey.FLEET_URL)) {
            parser.error(ConfigKey.FLEET_URL, "", "this host's API URL as the other hosts reach it (FLEET_ETCD is set)");
        }
        boolean tls = etcd.stream().anyMatch(u -> u.getScheme().equals("https"));
        if (tls && ca.isEmpty() && ok(ConfigKey.FLEET_ETCD_CA)) {
            parser.error(ConfigKey.FLEET_ETCD_CA, "", "the PEM file of the CA that signed the etcd members' certificates"
                    + " (FLEET_ETCD uses https)");
        }
        if (cert.isPresent() != key.isPresent()) {
            ConfigKey missing = cert.isPresent() ? ConfigKey.FLEET_ETCD_KEY : ConfigKey.FLEET_ETCD_CERT;
            parser.error(missing, "", "set together with " + (cert.isPresent() ? "FLEET_ETCD_CERT" : "FLEET_ETCD_KEY"));
        }
        if (!tls && (ca.isPresent() || cert.isPresent())) {
            parser.error(ConfigKey.FLEET_ETCD, parser.raw(ConfigKey.FLEET_ETCD),
                    "https:// endpoints (FLEET_ETCD_CA or FLEET_ETCD_CERT is set)");
        }
        return new Fleet(etcd, ca, cert, key, url, name, prefix == null ? "/scalebox/v1" : prefix,
                Duration.ofSeconds(Math.max(timeout, 10)));
    }

    /** Whether the key's own value passed (so one mistake is reported once). */
    private boolean ok(ConfigKey key) {
        String v = parser.raw(key);
        return v == null || v.isEmpty();
    }

    private List<URI> endpoints() {
        String v = parser.raw(ConfigKey.FLEET_ETCD);
        List<URI> out = new ArrayList<>();
        if (v == null || v.isBlank()) {
            return out;
        }
        for (String part : v.split(",", -1)) {
            URI u = url(part.trim(), true);
            if (u == null || out.size() == 9) {
                parser.error(ConfigKey.FLEET_ETCD, v, "empty or 1 to 9 comma-separated etcd client URLs such as "
                        + "https://10.0.0.11:2379, all http or all https");
                return List.of();
            }
            out.add(u);
        }
        if (out.stream().map(URI::getScheme).distinct().count() > 1) {
            parser.error(ConfigKey.FLEET_ETCD, v, "endpoints that are all http or all https");
            return List.of();
        }
        return out;
    }

    private Optional<Path> file(ConfigKey key) {
        return parser.optional(key, "empty or an absolute path to a PEM file", ConfigParser::absolutePath);
    }

    /** http(s)://host:port with nothing after it; {@code loopback} allows 127.0.0.0/8 and localhost. */
    private static URI url(String s, boolean loopback) {
        try {
            URI u = new URI(s);
            boolean bare = (u.getPath() == null || u.getPath().isEmpty() || u.getPath().equals("/"))
                    && u.getQuery() == null && u.getFragment() == null && u.getUserInfo() == null;
            if (!bare || u.getHost() == null || u.getPort() < 1 || !("http".equals(u.getScheme())
                    || "https".equals(u.getScheme()))) {
                return null;
            }
            String host = u.getHost();
            if (!loopback && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]")
                    || host.equals("0.0.0.0"))) {
                return null;
            }
            return new URI(u.getScheme(), null, host, u.getPort(), null, null, null);
        } catch (URISyntaxException e) {
            return null;
        }
    }
}
