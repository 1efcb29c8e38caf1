package io.scalebox.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.scalebox.config.Config;
import io.scalebox.config.ConfigParser;
import io.scalebox.host.HostStats;
import io.scalebox.hypervisor.HypervisorKind;
import io.scalebox.storage.GuestKernel;
import io.scalebox.storage.TemplateStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemResourceTest {
    static final String TOKEN = "sb-0123456789abcdef0123456789abcdef";

    @Test
    void infoReportsEveryFieldAndNeedsTheToken(@TempDir Path data) throws Exception {
        Files.createDirectories(data.resolve("templates"));
        Files.write(data.resolve("templates/debian-base.ext4"), new byte[1024]);
        Files.write(data.resolve("templates/half.ext4.partial"), new byte[10]);
        Files.writeString(data.resolve("templates/debian-base.json"), "{\"name\":\"debian-base\","
                + "\"debian_version\":\"13.7\",\"kernel_version\":\"6.12.107+deb13-cloud-amd64\","
                + "\"built_at\":\"2026-11-26T08:00:00Z\",\"size_bytes\":4294967296}");
        Config config = ConfigParser.parse(Map.of("API_TOKEN", TOKEN, "DATA_DIR", data.toString(),
                "BASE_DOMAIN", "vms.example.com", "HYPERVISOR", "qemu", "QEMU_ACCEL", "tcg"));
        SystemResource resource = new SystemResource(config, "9.9.9", "203.0.113.7", new HostStats(Path.of("/proc")),
                new TemplateStore(config.templatesDir()), new GuestKernel(config.kernelPath(), config.initrdPath()),
                () -> 3, () -> 0L, "copy", HypervisorKind.QEMU,
                Optional.of(new io.scalebox.https.CaddySite("vms.example.com", config.https(), "127.0.0.1:8080")));
        ApiServer server = new ApiServer("127.0.0.1", 0, new io.scalebox.api.Authenticator(TOKEN, Optional.empty()),
                resource.routes(), new io.scalebox.metrics.Metrics());
        server.start(Optional.empty());
        try {
            HttpClient http = HttpClient.newHttpClient();
            URI info = URI.create("http://127.0.0.1:" + server.port() + "/info");
            assertEquals(401, http.send(HttpRequest.newBuilder(info).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(info)
                    .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            JsonObject o = JsonParser.parseString(r.body()).getAsJsonObject();
            assertEquals(List.of("host_ip", "base_domain", "templates_count", "vms_count", "hypervisor", "accel",
                    "version", "storage", "memory", "cpu_percent", "disk_clone", "kernel_ready",
                    "base_template_ready", "base_template", "https", "fleet"), List.copyOf(o.keySet()));
            // No Caddy answers in this test: the site is not active yet.
            assertEquals("{\"active\":false,\"caddy\":\"not_running\",\"api_domain\":null}", o.get("https").toString());
            assertEquals("{\"debian_version\":\"13.7\",\"kernel_version\":\"6.12.107+deb13-cloud-amd64\","
                    + "\"built_at\":\"2026-11-26T08:00:00Z\"}", o.get("base_template").toString());
            assertEquals(true, o.get("base_template_ready").getAsBoolean());
            assertEquals("203.0.113.7", o.get("host_ip").getAsString());
            assertEquals("vms.example.com", o.get("base_domain").getAsString());
            assertEquals(1, o.get("templates_count").getAsInt());
            assertEquals(3, o.get("vms_count").getAsInt());
            assertEquals("qemu", o.get("hypervisor").getAsString());
            assertEquals("tcg", o.get("accel").getAsString());
            assertEquals("9.9.9", o.get("version").getAsString());
            assertEquals(Set.of("total_gb", "used_gb", "free_gb", "committed_gb", "overcommit"),
                    o.getAsJsonObject("storage").keySet());
            assertEquals(Set.of("total_gb", "free_gb"), o.getAsJsonObject("memory").keySet());
            assertTrue(o.getAsJsonObject("memory").get("total_gb").getAsDouble() > 0);
            assertTrue(o.get("cpu_percent").getAsDouble() >= 0);
            assertTrue(!r.body().contains(TOKEN));
        } finally {
            server.stop();
        }
    }

    @Test
    void emptyBaseDomainIsNull(@TempDir Path data) throws Exception {
        Config config = ConfigParser.parse(Map.of("API_TOKEN", TOKEN, "DATA_DIR", data.resolve("missing").toString()));
        SystemResource resource = new SystemResource(config, "1", "127.0.0.1", new HostStats(Path.of("/proc")),
                new TemplateStore(config.templatesDir()), new GuestKernel(config.kernelPath(), config.initrdPath()),
                () -> 0, () -> 0L, "copy", HypervisorKind.QEMU, Optional.empty());
        Map<String, Object> info = resource.info();
        assertTrue(info.containsKey("base_domain"));
        assertEquals(null, info.get("base_domain"));
        assertEquals(0, info.get("templates_count"), "a missing data directory holds no templates");
        assertEquals(Map.of("active", false, "caddy", "unused"), withoutNulls(info.get("https")),
                "HTTPS is off without BASE_DOMAIN");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withoutNulls(Object map) {
        Map<String, Object> m = new java.util.HashMap<>((Map<String, Object>) map);
        m.values().removeIf(java.util.Objects::isNull);
        return m;
    }
}
