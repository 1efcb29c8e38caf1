package io.scalebox.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Fleet mode (README "Fleet"): the etcd members, the TLS files for them, this host's API URL as
 * the other hosts reach it, its name, the key prefix shared by the fleet and how long a create's
 * name reservation may stay unfinished. No endpoints: a host on its own, as before.
 */
public record Fleet(List<URI> etcd, Optional<Path> ca, Optional<Path> cert, Optional<Path> key, Optional<URI> url,
                    Optional<String> hostName, String prefix, Duration createTimeout) {
    public Fleet {
        etcd = List.copyOf(etcd);
    }

    public static Fleet off() {
        return new Fleet(List.of(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), "/scalebox/v1", Duration.ofMinutes(10));
    }

    public boolean enabled() {
        return !etcd.isEmpty();
    }

    Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("FLEET_ETCD", String.join(",", etcd.stream().map(URI::toString).toList()));
        m.put("FLEET_ETCD_CA", ca.map(Path::toString).orElse(""));
        m.put("FLEET_ETCD_CERT", cert.map(Path::toString).orElse(""));
        m.put("FLEET_ETCD_KEY", key.map(Path::toString).orElse(""));
        m.put("FLEET_URL", url.map(URI::toString).orElse(""));
        m.put("FLEET_HOST_NAME", hostName.orElse(""));
        m.put("FLEET_PREFIX", prefix);
        m.put("FLEET_CREATE_TIMEOUT", String.valueOf(createTimeout.toSeconds()));
        return m;
    }
}
