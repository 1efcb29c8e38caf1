package io.scalebox.api;

import io.scalebox.fleet.EtcdException;
import io.scalebox.fleet.FleetCreates;
import io.scalebox.fleet.FleetHost;
import io.scalebox.fleet.FleetNode;
import io.scalebox.fleet.HostClient;
import io.scalebox.fleet.Registry;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Fleet mode: a call on a VM of another host is answered by that host, through this one (never
 * a redirect: clients drop the token on one). The request and the answer are streamed (exec
 * streams, file transfers). When the owner is unreachable, GET answers from the registry with
 * status "unknown", DELETE is queued for the owner's return (202) and the rest get 503.
 */
public final class VmRelay implements Relay {
    private static final Logger LOG = LogManager.getLogger(VmRelay.class);
    private static final Set<String> REQUEST_HEADERS = Set.of("authorization", "content-type", "accept",
            "last-event-id");
    private static final Set<String> ANSWER_HEADERS = Set.of("content-type", "content-length", "retry-after", "allow",
            "location", "cache-control", "content-disposition");
    private static final Duration TIMEOUT = Duration.ofMinutes(15);

    private final FleetNode fleet;
    private final Predicate<String> local;
    private final HostClient client;

    /** @param local whether this host has the VM (by id or name): then it answers itself */
    public VmRelay(FleetNode fleet, Predicate<String> local, HostClient client) {
        this.fleet = fleet;
        this.local = local;
        this.client = client;
    }

    @Override
    public boolean takes(HttpServerExchange exchange, Router.Match match) {
        String id = match.params().get("id");
        if (id == null || !match.route().pattern().startsWith("/vms/{id}")
                || exchange.getRequestHeaders().contains(FleetCreates.RELAYED) || local.test(id)) {
            return false;
        }
        exchange.dispatch(() -> answer(exchange, id));
        return true;
    }

    private void answer(HttpServerExchange exchange, String id) {
        try {
            Optional<Registry.VmEntry> entry;
            try {
                entry = fleet.registry().find(id);
            } catch (EtcdException e) {
                throw new ApiException(503, "fleet_unavailable", "VM " + id + " is not on this host and the fleet's "
                        + "registry (etcd) does not answer: ask its own host", Map.of("Retry-After", "5"));
            }
            if (entry.isEmpty() || entry.get().host().equals(fleet.hostId())) {
                throw new ApiException(404, "vm_not_found", "VM not found");
            }
            Optional<FleetHost> owner = fleet.hosts().get(entry.get().host());
            if (owner.isPresent() && owner.get().alive()) {
                forward(exchange, owner.get());
                return;
            }
            unreachable(exchange, entry.get(), owner);
        } catch (ApiException e) {
            Replies.fail(exchange, e);
        } catch (RuntimeException e) {
            LOG.error("relay of {} {} failed", exchange.getRequestMethod(), exchange.getRequestPath(), e);
            Replies.send(exchange, 500, Replies.error("internal_error", "Internal server error"));
        }
    }

    /** The owner is gone (for now): what the registry knows, a queued delete, or 503. */
    private void unreachable(HttpServerExchange exchange, Registry.VmEntry entry, Optional<FleetHost> owner)
            throws ApiException {
        String method = exchange.getRequestMethod().toString();
        String sub = exchange.getRequestPath().replaceFirst("^/vms/[^/]+/?", "");
        String hostStatus = owner.map(h -> h.status().key()).orElse("removed");
        if (sub.isEmpty() && method.equals("GET")) {
            Replies.send(exchange, 200, Replies.json(FleetResource.remoteView(entry, owner)));
            return;
        }
        if (sub.isEmpty() && method.equals("DELETE") && owner.isPresent()) {
            try {
                fleet.registry().queueDelete(entry.id(), entry.host());
            } catch (EtcdException e) {
                throw new ApiException(503, "fleet_unavailable", "The fleet's registry (etcd) does not answer",
                        Map.of("Retry-After", "5"));
            }
            LOG.info("fleet: delete of VM {} queued: its host {} is {}", entry.id(), entry.host(), hostStatus);
            Replies.send(exchange, 202, Replies.json(Json.object("id", entry.id(), "name", entry.name(),
                    "host", entry.host(), "status", "deleting")));
            return;
        }
        throw new ApiException(503, "host_unreachable", "VM " + entry.name() + " is on host " + entry.host() + ", which is "
                + hostStatus + ": try again when it is back", Map.of("Retry-After", "10"));
    }

    private void forward(HttpServerExchange exchange, FleetHost owner) throws ApiException {
        exchange.startBlocking();
        String query = exchange.getQueryString();
        URI uri = URI.create(owner.url() + exchange.getRequestURI() + (query.isEmpty() ? "" : "?" + query));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(TIMEOUT).header(FleetCreates.RELAYED, fleet.hostId());
        for (HeaderValues h : exchange.getRequestHeaders()) {
            if (REQUEST_HEADERS.contains(h.getHeaderName().toString().toLowerCase(java.util.Locale.ROOT))) {
                b.header(h.getHeaderName().toString(), h.getFirst());
            }
        }
        long length = exchange.getRequestContentLength();
        boolean body = length > 0 || exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING);
        HttpRequest.BodyPublisher publisher = !body ? HttpRequest.BodyPublishers.noBody()
                : length > 0 ? HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(exchange::getInputStream), length)
                : HttpRequest.BodyPublishers.ofInputStream(exchange::getInputStream);
        b.method(exchange.getRequestMethod().toString(), publisher);
        HttpResponse<InputStream> answer;
        try {
            answer = client.http().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            LOG.warn("fleet: relay to {} ({}) failed: {}", owner.id(), owner.url(), e.getMessage());
            throw new ApiException(502, "host_unreachable", "Host " + owner.id() + " did not answer: " + e.getMessage(),
                    Map.of("Retry-After", "5"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "host_unreachable", "interrupted");
        }
        exchange.setStatusCode(answer.statusCode());
        answer.headers().map().forEach((name, values) -> {
            if (ANSWER_HEADERS.contains(name.toLowerCase(java.util.Locale.ROOT)) && !values.isEmpty()) {
                exchange.getResponseHeaders().put(HttpString.tryFromString(name), values.get(0));
            }
        });
        // Streamed as it comes (an exec stream's lines, a download), flushed at every read.
        try (InputStream in = answer.body(); OutputStream out = exchange.getOutputStream()) {
            byte[] buf = new byte[16 * 1024];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            LOG.debug("fleet: relay from {} cut: {}", owner.id(), e.getMessage());
        }
        exchange.endExchange();
    }
}
