package io.scalebox.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FleetKeysTest {
    private static Map<String, String> with(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("API_TOKEN", "0123456789abcdef0123");
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static final String[] FLEET = {"FLEET_ETCD", "https://10.0.0.11:2379, https://10.0.0.12:2379",
            "FLEET_ETCD_CA", "/etc/scalebox/fleet/ca.pem", "FLEET_ETCD_CERT", "/etc/scalebox/fleet/host.pem",
            "FLEET_ETCD_KEY", "/etc/scalebox/fleet/host.key", "FLEET_URL", "http://10.0.0.21:8080"};

    private static List<String> errorKeys(Map<String, String> raw) {
        try {
            ConfigParser.parse(raw);
            return List.of();
        } catch (InvalidConfigException e) {
            return e.errors().stream().map(ConfigError::key).toList();
        }
    }

    @Test
    void offWithoutEndpoints() throws Exception {
        Fleet f = ConfigParser.parse(with()).fleet();
        assertFalse(f.enabled());
        assertEquals("/scalebox/v1", f.prefix());
    }

    @Test
    void aFullFleetConfiguration() throws Exception {
        Map<String, String> raw = with(FLEET);
        raw.put("FLEET_HOST_NAME", "rack1-a");
        raw.put("FLEET_PREFIX", "/teams/x/scalebox");
        raw.put("FLEET_CREATE_TIMEOUT", "120");
        Fleet f = ConfigParser.parse(raw).fleet();
        assertTrue(f.enabled());
        assertEquals(List.of(URI.create("https://10.0.0.11:2379"), URI.create("https://10.0.0.12:2379")), f.etcd());
        assertEquals(Optional.of(Path.of("/etc/scalebox/fleet/host.key")), f.key());
        assertEquals(Optional.of(URI.create("http://10.0.0.21:8080")), f.url());
        assertEquals(Optional.of("rack1-a"), f.hostName());
        assertEquals("/teams/x/scalebox", f.prefix());
        assertEquals(Duration.ofSeconds(120), f.createTimeout());
        assertEquals("https://10.0.0.11:2379,https://10.0.0.12:2379",
                ConfigParser.parse(raw).describe().get("FLEET_ETCD"));
    }

    @Test
    void plainHttpNeedsNoFiles() throws Exception {
        assertTrue(ConfigParser.parse(with("FLEET_ETCD", "http://127.0.0.1:2379", "FLEET_URL", "http://10.0.0.2:8080"))
                .fleet().enabled());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "FLEET_URL|''|FLEET_URL",
        "FLEET_URL|http://127.0.0.1:8080|FLEET_URL",
        "FLEET_URL|http://localhost:8080|FLEET_URL",
        "FLEET_URL|http://10.0.0.21:8080/api|FLEET_URL",
        "FLEET_URL|10.0.0.21:8080|FLEET_URL",
        "FLEET_ETCD|https://a:2379,http://b:2379|FLEET_ETCD",
        "FLEET_ETCD|https://10.0.0.11|FLEET_ETCD",
        "FLEET_ETCD|ftp://10.0.0.11:2379|FLEET_ETCD",
        "FLEET_ETCD|https://user:pw@10.0.0.11:2379|FLEET_ETCD",
        "FLEET_ETCD_CA|''|FLEET_ETCD_CA",
        "FLEET_ETCD_CA|ca.pem|FLEET_ETCD_CA",
        "FLEET_ETCD_KEY|''|FLEET_ETCD_KEY",
        "FLEET_PREFIX|scalebox|FLEET_PREFIX",
        "FLEET_PREFIX|/scalebox/|FLEET_PREFIX",
        "FLEET_PREFIX|/a b|FLEET_PREFIX",
        "FLEET_HOST_NAME|Rack_1|FLEET_HOST_NAME",
        "FLEET_CREATE_TIMEOUT|5|FLEET_CREATE_TIMEOUT",
        "FLEET_CREATE_TIMEOUT|10m|FLEET_CREATE_TIMEOUT",
    })
    void badFleetValuesAreNamed(String key, String value, String reported) {
        Map<String, String> raw = with(FLEET);
        raw.put(key, value);
        assertEquals(List.of(reported), errorKeys(raw));
    }

    @Test
    void tlsFilesWithPlainEndpointsAreAMistake() {
        Map<String, String> raw = with(FLEET);
        raw.put("FLEET_ETCD", "http://10.0.0.11:2379");
        assertEquals(List.of("FLEET_ETCD"), errorKeys(raw));
    }
}
