package io.scalebox.https;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.scalebox.config.Https;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How scalebox's pieces go into (and out of) Caddy's configuration; https.sh runs a real Caddy. */
class CaddySiteTest {
    private static final Https HTTPS = new Https(8080, 8089, Optional.of("api.example.com"), "localhost:2019",
            Optional.of("ops@example.com"), Optional.of("https://ca.test/dir"), Optional.of(Path.of("/ca.pem")));
    private final CaddySite site = new CaddySite("vms.example.com", HTTPS, "127.0.0.1:8080");

    /** What caddy adapt makes of an operator's Caddyfile with one HTTPS site and a :80 site. */
    private static final String OPERATOR = """
            {"admin":{"listen":"localhost:2019"},
             "apps":{"http":{"servers":{
               "srv0":{"listen":[":443"],"routes":[{"match":[{"host":["blog.example.org"]}],
                        "handle":[{"handler":"file_server"}],"terminal":true}]},
               "srv1":{"listen":[":80"],"routes":[{"handle":[{"handler":"static_response","body":"hi"}]}]}}},
              "tls":{"automation":{"policies":[{"subjects":["blog.example.org"]}]}}}}""";

    @Test
    void anEmptyCaddyGetsAServerOfOurOwnOn443() {
        JsonObject config = site.merged(JsonNull.INSTANCE);
        JsonObject server = config.getAsJsonObject("apps").getAsJsonObject("http").getAsJsonObject("servers")
                .getAsJsonObject(CaddySite.SERVER);
        assertEquals(":443", server.getAsJsonArray("listen").get(0).getAsString());
        JsonArray routes = server.getAsJsonArray("routes");
        assertEquals("scalebox-vms", routes.get(0).getAsJsonObject().get("@id").getAsString());
        assertEquals("127.0.0.1:8089", CaddySite.find(config, "scalebox-vms").orElseThrow()
                .getAsJsonArray("handle").get(0).getAsJsonObject().getAsJsonArray("upstreams").get(0)
                .getAsJsonObject().get("dial").getAsString());
        assertEquals("15s", CaddySite.find(config, "scalebox-vms").orElseThrow().getAsJsonArray("handle").get(0)
                .getAsJsonObject().getAsJsonObject("load_balancing").get("try_duration").getAsString(),
                "a restart of scaleboxd fails no request: Caddy dials again");
        assertEquals("127.0.0.1:8080", CaddySite.find(config, "scalebox-api").orElseThrow()
                .getAsJsonArray("handle").get(0).getAsJsonObject().getAsJsonArray("upstreams").get(0)
                .getAsJsonObject().get("dial").getAsString());
        JsonObject policy = CaddySite.find(config, "scalebox-vms-tls").orElseThrow();
        assertTrue(policy.get("on_demand").getAsBoolean());
        assertEquals("*.vms.example.com", policy.getAsJsonArray("subjects").get(0).getAsString());
        JsonObject issuer = policy.getAsJsonArray("issuers").get(0).getAsJsonObject();
        assertEquals("https://ca.test/dir", issuer.get("ca").getAsString());
        assertEquals("ops@example.com", issuer.get("email").getAsString());
        assertEquals("/ca.pem", issuer.getAsJsonArray("trusted_roots_pem_files").get(0).getAsString());
        assertFalse(CaddySite.find(config, "scalebox-api-tls").orElseThrow().has("on_demand"));
        assertEquals("http://127.0.0.1:8080/caddy/check", config.getAsJsonObject("apps").getAsJsonObject("tls")
                .getAsJsonObject("automation").getAsJsonObject("on_demand").get("ask").getAsString());
        assertTrue(site.upToDate(config));
    }

    @Test
    void anOperatorsHttpsServerGetsOurRoutesFirstAndKeepsItsOwn() {
        JsonObject config = site.merged(JsonParser.parseString(OPERATOR));
        JsonObject servers = config.getAsJsonObject("apps").getAsJsonObject("http").getAsJsonObject("servers");
        assertFalse(servers.has(CaddySite.SERVER), "no second server on :443");
        JsonArray routes = servers.getAsJsonObject("srv0").getAsJsonArray("routes");
        assertEquals(3, routes.size());
        assertEquals("scalebox-vms", routes.get(0).getAsJsonObject().get("@id").getAsString());
        assertEquals("scalebox-api", routes.get(1).getAsJsonObject().get("@id").getAsString());
        assertEquals("blog.example.org", routes.get(2).getAsJsonObject().getAsJsonArray("match").get(0)
                .getAsJsonObject().getAsJsonArray("host").get(0).getAsString());
        assertEquals(JsonParser.parseString(OPERATOR).getAsJsonObject().getAsJsonObject("apps")
                .getAsJsonObject("http").getAsJsonObject("servers").get("srv1"), servers.get("srv1"));
        assertEquals(3, config.getAsJsonObject("apps").getAsJsonObject("tls").getAsJsonObject("automation")
                .getAsJsonArray("policies").size());
        assertTrue(site.upToDate(config));
        assertFalse(site.upToDate(JsonParser.parseString(OPERATOR)));
    }

    @Test
    void mergingAgainReplacesOursAndRemovalRestoresTheOperatorsConfiguration() {
        JsonObject once = site.merged(JsonParser.parseString(OPERATOR));
        assertEquals(once, site.merged(once), "merging is idempotent");
        // A changed router port makes the site stale.
        CaddySite moved = new CaddySite("vms.example.com", new Https(8080, 9000, HTTPS.apiDomain(),
                HTTPS.caddyAdmin(), HTTPS.acmeEmail(), HTTPS.acmeCa(), HTTPS.acmeCaRoot()), "127.0.0.1:8080");
        assertFalse(moved.upToDate(once));
        JsonObject removed = CaddySite.without(once);
        removed.getAsJsonObject("apps").getAsJsonObject("tls").getAsJsonObject("automation").remove("on_demand");
        assertEquals(JsonParser.parseString(OPERATOR), removed);
    }
}
