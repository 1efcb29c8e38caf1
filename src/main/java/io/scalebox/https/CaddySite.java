package io.scalebox.https;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.scalebox.config.Https;
import io.scalebox.host.LocalHttp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * scaleboxd's site in the host's Caddy, kept there through Caddy's admin API: a route for
 * {@code *.<BASE_DOMAIN>} to the {@link VmHttpRouter} (and one for API_DOMAIN to the API),
 * certificates on demand for the names {@code /caddy/check} accepts, from the configured ACME
 * CA. Nothing is written to Caddy's files: the pieces (marked with "@id" scalebox-…) are merged
 * into Caddy's running configuration beside the operator's own sites, and merged again when a
 * reload or restart of Caddy dropped them ({@link #sync}, every few seconds). VMs come and go
 * without Caddy noticing: the route's upstream picks the VM.
 */
public final class CaddySite {
    private static final Logger LOG = LogManager.getLogger(CaddySite.class);
    static final String VMS = "scalebox-vms";
    static final String API = "scalebox-api";
    static final String VMS_TLS = "scalebox-vms-tls";
    static final String API_TLS = "scalebox-api-tls";
    static final String SERVER = "scalebox";
    private static final List<String> IDS = List.of(VMS, API, VMS_TLS, API_TLS);
    private static final Path CADDY = Path.of("/usr/bin/caddy");

    /** What /info reports. */
    public enum State {
        ACTIVE("active"), NOT_INSTALLED("not_installed"), NOT_RUNNING("not_running"), REFUSED("refused");

        private final String key;

        State(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    private final String baseDomain;
    private final Https https;
    private final String apiDial;
    private volatile State state = State.NOT_RUNNING;
    /** Whether a check ran yet: the first one is always reported. */
    private boolean checked;
    private volatile String problem = "";

    /** @param apiDial host:port Caddy reaches the API at (for API_DOMAIN and the "ask" hook) */
    public CaddySite(String baseDomain, Https https, String apiDial) {
        this.baseDomain = baseDomain;
        this.https = https;
        this.apiDial = apiDial;
    }

    public State state() {
        return state;
    }

    /** Puts the site into Caddy when it is missing or stale; logs each change of state once. */
    public synchronized void sync() {
        State before = checked ? state : null;
        checked = true;
        try {
            JsonElement current = get();
            if (!upToDate(current)) {
                load(merged(current));
                LOG.info("https: site *.{}{} added to Caddy at {}", baseDomain,
                        https.apiDomain().map(d -> " and " + d).orElse(""), https.caddyAdmin());
            }
            state = State.ACTIVE;
        } catch (IOException e) {
            state = Files.isExecutable(CADDY) ? State.NOT_RUNNING : State.NOT_INSTALLED;
            if (state != before) {
                LOG.warn("https: BASE_DOMAIN is set but {}: VMs are not served at https://<name>.{} until it is"
                        + " ({})", state == State.NOT_INSTALLED ? "Caddy is not installed (apt install caddy)"
                        : "Caddy does not answer at " + https.caddyAdmin() + " (systemctl start caddy)",
                        baseDomain, e.getMessage());
            }
        } catch (CaddyRefused e) {
            state = State.REFUSED;
            if (!e.getMessage().equals(problem)) {
                LOG.error("https: Caddy refused scalebox's site: {}", e.getMessage());
            }
            problem = e.getMessage();
        }
    }

    /** Takes scalebox's pieces out of Caddy (package removal); quiet when Caddy is not there. */
    public void remove() throws IOException, CaddyRefused {
        JsonElement current = get();
        if (IDS.stream().anyMatch(id -> contains(current, id)) || hasServer(current)) {
            load(without(current));
        }
    }

    /** Caddy answered, but not with 2xx. */
    public static final class CaddyRefused extends Exception {
        private static final long serialVersionUID = 1L;

        CaddyRefused(String message) {
            super(message);
        }
    }

    boolean upToDate(JsonElement current) {
        return contains(current, VMS) && find(current, VMS).map(r -> r.equals(vmsRoute())).orElse(false)
                && find(current, VMS_TLS).map(p -> p.equals(vmsPolicy())).orElse(false)
                && https.apiDomain().map(d -> find(current, API).isPresent()).orElse(!contains(current, API))
                && askUrl().equals(ask(current));
    }

    /** The whole configuration with scalebox's pieces (again): the operator's parts unchanged. */
    JsonObject merged(JsonElement current) {
        JsonObject config = without(current);
        JsonObject servers = object(object(object(config, "apps"), "http"), "servers");
        JsonObject target = null;
        for (String name : servers.keySet()) {
            JsonObject server = servers.getAsJsonObject(name);
            if (server.has("listen") && listensOn443(server.getAsJsonArray("listen"))) {
                target = server; // the operator's HTTPS server: ours go first in it
                break;
            }
        }
        if (target == null) {
            target = new JsonObject();
            target.add("listen", array(new JsonPrimitive(":443")));
            servers.add(SERVER, target);
        }
        JsonArray routes = new JsonArray();
        routes.add(vmsRoute());
        https.apiDomain().ifPresent(d -> routes.add(route(API, d, apiDial)));
        if (target.has("routes")) {
            routes.addAll(target.getAsJsonArray("routes"));
        }
        target.add("routes", routes);

        JsonObject automation = object(object(object(config, "apps"), "tls"), "automation");
        JsonArray policies = new JsonArray();
        policies.add(vmsPolicy());
        https.apiDomain().ifPresent(d -> policies.add(policy(API_TLS, d, false)));
        if (automation.has("policies")) {
            policies.addAll(automation.getAsJsonArray("policies"));
        }
        automation.add("policies", policies);
        JsonObject onDemand = object(automation, "on_demand");
        if (onDemand.has("ask") && !onDemand.get("ask").getAsString().equals(askUrl())) {
            LOG.warn("https: Caddy's on-demand \"ask\" endpoint {} is replaced by {} (one per Caddy)",
                    onDemand.get("ask").getAsString(), askUrl());
        }
        onDemand.addProperty("ask", askUrl());
        return config;
    }

    /** The configuration without anything scalebox put there. */
    static JsonObject without(JsonElement current) {
        JsonObject config = current != null && current.isJsonObject() ? current.getAsJsonObject().deepCopy()
                : new JsonObject();
        JsonObject servers = path(config, "apps", "http", "servers");
        if (servers != null) {
            servers.remove(SERVER);
            for (String name : servers.keySet()) {
                JsonObject server = servers.getAsJsonObject(name);
                if (server.has("routes")) {
                    server.add("routes", withoutIds(server.getAsJsonArray("routes")));
                }
            }
        }
        JsonObject automation = path(config, "apps", "tls", "automation");
        if (automation != null && automation.has("policies")) {
            automation.add("policies", withoutIds(automation.getAsJsonArray("policies")));
        }
        return config;
    }

    String askUrl() {
        return "http://" + apiDial + "/caddy/check";
    }

    JsonObject vmsRoute() {
        return route(VMS, "*." + baseDomain, "127.0.0.1:" + https.routerPort());
    }

    JsonObject vmsPolicy() {
        return policy(VMS_TLS, "*." + baseDomain, true);
    }

    /** How long Caddy goes on dialling scaleboxd (a restart takes well under a second). */
    static final String RETRY_DIAL = "15s";

    private JsonObject route(String id, String host, String dial) {
        JsonObject upstream = new JsonObject();
        upstream.addProperty("dial", dial);
        JsonObject proxy = new JsonObject();
        proxy.addProperty("handler", "reverse_proxy");
        proxy.add("upstreams", array(upstream));
        // Streamed responses (server-sent events, long downloads) go out as they come.
        proxy.addProperty("flush_interval", -1);
        // While scaleboxd restarts (an upgrade) nothing listens for a moment: Caddy dials again
        // instead of failing the request.
        JsonObject retry = new JsonObject();
        retry.addProperty("try_duration", RETRY_DIAL);
        retry.addProperty("try_interval", "250ms");
        proxy.add("load_balancing", retry);
        JsonObject match = new JsonObject();
        match.add("host", array(new JsonPrimitive(host)));
        JsonObject route = new JsonObject();
        route.addProperty("@id", id);
        route.add("match", array(match));
        route.add("handle", array(proxy));
        route.addProperty("terminal", true);
        return route;
    }

    private JsonObject policy(String id, String subject, boolean onDemand) {
        JsonObject issuer = new JsonObject();
        issuer.addProperty("module", "acme");
        https.acmeCa().ifPresent(ca -> issuer.addProperty("ca", ca));
        https.acmeEmail().ifPresent(e -> issuer.addProperty("email", e));
        https.acmeCaRoot().ifPresent(root -> issuer.add("trusted_roots_pem_files",
                array(new JsonPrimitive(root.toString()))));
        JsonObject policy = new JsonObject();
        policy.addProperty("@id", id);
        policy.add("subjects", array(new JsonPrimitive(subject)));
        policy.add("issuers", array(issuer));
        if (onDemand) {
            policy.addProperty("on_demand", true);
        }
        return policy;
    }

    /** Caddy's configuration is mostly lists of one. */
    private static JsonArray array(JsonElement only) {
        JsonArray a = new JsonArray();
        a.add(only);
        return a;
    }

    private static boolean listensOn443(JsonArray listen) {
        for (JsonElement l : listen) {
            if (l.isJsonPrimitive() && l.getAsString().endsWith(":443")) {
                return true;
            }
        }
        return false;
    }

    private static JsonArray withoutIds(JsonArray items) {
        JsonArray kept = new JsonArray();
        for (JsonElement e : items) {
            if (!(e.isJsonObject() && e.getAsJsonObject().has("@id")
                    && IDS.contains(e.getAsJsonObject().get("@id").getAsString()))) {
                kept.add(e);
            }
        }
        return kept;
    }

    private static boolean contains(JsonElement current, String id) {
        return find(current, id).isPresent();
    }

    private static boolean hasServer(JsonElement current) {
        JsonObject servers = current != null && current.isJsonObject()
                ? path(current.getAsJsonObject(), "apps", "http", "servers") : null;
        return servers != null && servers.has(SERVER);
    }

    /** The object tagged {@code "@id": id} anywhere in the configuration. */
    static Optional<JsonObject> find(JsonElement e, String id) {
        if (e == null) {
            return Optional.empty();
        }
        if (e.isJsonObject()) {
            JsonObject o = e.getAsJsonObject();
            if (o.has("@id") && o.get("@id").isJsonPrimitive() && o.get("@id").getAsString().equals(id)) {
                return Optional.of(o);
            }
            for (String k : o.keySet()) {
                Optional<JsonObject> found = find(o.get(k), id);
                if (found.isPresent()) {
                    return found;
                }
            }
        } else if (e.isJsonArray()) {
            for (JsonElement x : e.getAsJsonArray()) {
                Optional<JsonObject> found = find(x, id);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }

    private static String ask(JsonElement current) {
        JsonObject onDemand = current != null && current.isJsonObject()
                ? path(current.getAsJsonObject(), "apps", "tls", "automation", "on_demand") : null;
        return onDemand != null && onDemand.has("ask") ? onDemand.get("ask").getAsString() : "";
    }

    private static JsonObject path(JsonObject o, String... keys) {
        JsonObject at = o;
        for (String k : keys) {
            if (at == null || !at.has(k) || !at.get(k).isJsonObject()) {
                return null;
            }
            at = at.getAsJsonObject(k);
        }
        return at;
    }

    /** The child object {@code key}, made when missing. */
    private static JsonObject object(JsonObject parent, String key) {
        if (!parent.has(key) || !parent.get(key).isJsonObject()) {
            parent.add(key, new JsonObject());
        }
        return parent.getAsJsonObject(key);
    }

    private JsonElement get() throws IOException, CaddyRefused {
        LocalHttp.Reply reply = call("GET", "/config/", null);
        String body = reply.body().strip();
        return body.isEmpty() ? JsonNull.INSTANCE : JsonParser.parseString(body);
    }

    private void load(JsonObject config) throws IOException, CaddyRefused {
        call("POST", "/load", config.toString());
    }

    private LocalHttp.Reply call(String method, String path, String body) throws IOException, CaddyRefused {
        int colon = https.caddyAdmin().lastIndexOf(':');
        String host = https.caddyAdmin().substring(0, colon).replace("[", "").replace("]", "");
        int port = Integer.parseInt(https.caddyAdmin().substring(colon + 1));
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 2000);
            socket.setSoTimeout(10_000);
            // Caddy checks the Host (and Origin) of admin requests against its listen address.
            LocalHttp.Reply reply = LocalHttp.exchange(socket.getOutputStream(), socket.getInputStream(), method,
                    path, https.caddyAdmin(), body);
            if (!reply.ok()) {
                throw new CaddyRefused(method + " " + path + " answered " + reply.status() + ": "
                        + reply.body().strip().substring(0, Math.min(reply.body().strip().length(), 400)));
            }
            return reply;
        } catch (RuntimeException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
