package io.scalebox.api;

import io.scalebox.metrics.Metrics;
import io.scalebox.vm.VmException;
import io.undertow.UndertowOptions;
import io.undertow.io.Receiver;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Headers;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.xnio.OptionMap;

/**
 * The HTTP front: authentication, routing, limits, the JSON error contract and the request
 * metrics. Handlers run on worker threads (on the I/O thread for routes marked so, which never
 * block) and only ever see a {@link Request}.
 */
public final class ApiServer implements HttpHandler {
    /** api.md: bodies over 64 KiB are refused. */
    public static final int MAX_BODY_BYTES = 64 * 1024;
    static final int MAX_HEADER_BYTES = 16 * 1024;
    static final int MAX_CONNECTIONS = 10_000;
    private static final Logger LOG = LogManager.getLogger(ApiServer.class);
    private static final byte[] NO_BODY = new byte[0];

    private final Router router;
    private final Authenticator authenticator;
    private final Metrics metrics;
    private final String bind;
    private final int port;
    private HttpListener listener;
    private volatile boolean stopping;
    /** Requests received and not yet answered (event streams aside). */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

    private final SlowRequests slow;
    /** In fleet mode: calls on VMs of other hosts go to their owner. */
    private final Relay relay;
    /**
     * The connection-wide body cap: the largest route's. Undertow fixes a chunked body's cap when
     * it parses the request, before a route is known; each route then holds its own (a JSON body
     * by the receiver's buffer size, a stream by what its handler reads).
     */
    private final long largestBody;
    /** Beyond the largest cap, so that a stream reading in chunks of up to 1 MiB answers 413 itself first. */
    private static final long STREAM_SLACK = 1024 * 1024;

    public ApiServer(String bind, int port, Authenticator authenticator, List<Route> routes, Metrics metrics) {
        this(bind, port, authenticator, routes, metrics, new SlowRequests());
    }

    public ApiServer(String bind, int port, Authenticator authenticator, List<Route> routes, Metrics metrics,
                     SlowRequests slow) {
        this(bind, port, authenticator, routes, metrics, slow, (exchange, match) -> false);
    }

    public ApiServer(String bind, int port, Authenticator authenticator, List<Route> routes, Metrics metrics,
                     SlowRequests slow, Relay relay) {
        this.relay = relay;
        this.slow = slow;
        this.metrics = metrics;
        this.bind = bind;
        this.port = port;
        this.authenticator = authenticator;
        this.router = new Router(routes);
        this.largestBody = routes.stream().mapToLong(Route::maxBody).max().orElse(MAX_BODY_BYTES) + STREAM_SLACK;
    }

    /**
     * Serves on {@code inherited} (the socket systemd holds, see {@link HttpListener}) or binds;
     * throws when the address cannot be bound. Clients are untrusted: headers
     * are capped at 16 KiB and must arrive within 10 s, a connection without a request is closed
     * after 30 s and any connection idle for 60 s; past 10,000 connections new ones wait in the
     * backlog. Bodies are received on the I/O threads, so a slow client never holds a worker.
     */
    public synchronized void start(Optional<ServerSocketChannel> inherited) throws IOException {
        listener = HttpListener.start(this, inherited, bind, port, 2, 64, MAX_CONNECTIONS, OptionMap.builder()
                .set(UndertowOptions.MAX_HEADER_SIZE, MAX_HEADER_BYTES)
                .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, 10_000)
                .set(UndertowOptions.NO_REQUEST_TIMEOUT, 30_000)
                .set(UndertowOptions.IDLE_TIMEOUT, 60_000)
                .set(UndertowOptions.MAX_ENTITY_SIZE, largestBody)
                .getMap());
    }

    /** The bound port (differs from the configured one when that was 0). */
    public synchronized int port() {
        return listener.port();
    }

    /**
     * Stops without failing a request: no more accepting (under systemd the socket stays open,
     * and new clients wait for the next daemon), a moment for connections just accepted to send
     * theirs, the requests under way answered (at most {@code grace}), with "Connection: close"
     * so that their clients' next request goes to the next daemon; then the rest closes. Event
     * streams are cut: their clients resume with Last-Event-ID.
     */
    public synchronized void stop(java.time.Duration grace) {
        if (listener == null) {
            return;
        }
        stopping = true;
        listener.stopAccepting();
        long end = System.nanoTime() + grace.toNanos();
        sleep(100);
        while (inFlight.get() > 0 && System.nanoTime() < end) {
            sleep(10);
        }
        listener.stop();
        listener = null;
    }

    public synchronized void stop() {
        stop(java.time.Duration.ZERO);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * On an I/O thread: route and authenticate (cheap, and nobody unauthenticated gets a body
     * read), receive the body without blocking, then run the handler on a worker.
     */
    @Override
    public void handleRequest(HttpServerExchange exchange) {
        long started = System.nanoTime();
        if (stopping) {
            // The next daemon serves this client's next request: a new connection waits for it.
            exchange.setPersistent(false);
        }
        String method = exchange.getRequestMethod().toString();
        String path = exchange.getRequestPath();
        Router.Match match = router.route(method, path);
        try {
            if (!match.open()) {
                authenticator.check(exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION),
                        match.found() ? match.route().access() : Route.Access.TOKEN);
            }
            if (!match.found()) {
                if (match.allowed().isEmpty()) {
                    throw new ApiException(404, "not_found", "Not found");
                }
                throw new ApiException(405, "method_not_allowed", "Method " + method + " not allowed",
                        Map.of("Allow", String.join(", ", match.allowed())));
            }
            if (exchange.getRequestContentLength() > match.route().maxBody()) {
                throw tooLarge(match.route().maxBody());
            }
        } catch (ApiException e) {
            fail(exchange, e, method, path, routeOf(match), started);
            return;
        }
        String route = match.route().pattern();
        if (relay.takes(exchange, match)) {
            // Answered by the VM's owner (or for it): counted when it ends, like a stream.
            track(exchange);
            countWhenDone(exchange, method, path, route, started);
            return;
        }
        if (match.route().stream().isPresent()) {
            // Counted when it ends: a stream's duration is how long the client followed it.
            countWhenDone(exchange, method, path, route, started);
            try {
                match.route().stream().get().handleRequest(exchange);
            } catch (Exception e) {
                LOG.error("{} {} failed", method, path, e);
                Replies.send(exchange, 500, Replies.error("internal_error", "Internal server error"));
            }
            return;
        }
        long length = exchange.getRequestContentLength();
        long max = match.route().maxBody();
        if (length == 0 || length < 0 && !exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING)) {
            // No body to receive: an inline route answers on this I/O thread, the others on a worker.
            if (match.route().inline()) {
                run(exchange, match, NO_BODY, method, path, started);
            } else {
                onWorker(exchange, match, () -> run(exchange, match, NO_BODY, method, path, started), method, path,
                        started);
            }
            return;
        }
        exchange.setMaxEntitySize(max);
        Receiver receiver = exchange.getRequestReceiver();
        receiver.setMaxBufferSize((int) max);
        receiver.receiveFullBytes(
                (ex, body) -> onWorker(ex, match, () -> run(ex, match, body, method, path, started), method, path,
                        started),
                (ex, e) -> fail(ex, e instanceof RequestTooBigException || e instanceof Receiver.RequestToLargeException
                        ? tooLarge(max)
                        : ApiException.badRequest("invalid_body", "Could not read request body: " + e.getMessage()), method, path,
                        route, started));
    }

    /** Counts the request once its answer has ended (streams and relayed requests). */
    private void countWhenDone(HttpServerExchange exchange, String method, String path, String route, long started) {
        exchange.addExchangeCompleteListener((ex, next) -> {
            done(method, path, route, ex.getStatusCode(), started);
            next.proceed();
        });
    }

    /** Runs the handler on a worker (counted: a stop waits for it), or on a thread of its own when it is slow. */
    private void onWorker(HttpServerExchange exchange, Router.Match match, Runnable task, String method, String path,
                          long started) {
        if (!match.route().slow()) {
            track(exchange);
            exchange.dispatch(task);
            return;
        }
        try {
            slow.dispatch(exchange, task);
        } catch (ApiException e) {
            fail(exchange, e, method, path, match.route().pattern(), started);
        }
    }

    /**
     * Counts a request that leaves the I/O thread until its answer has gone out: a stop waits for
     * those ({@link #stop(java.time.Duration)}). Inline requests are answered before the I/O thread
     * does anything else.
     */
    private void track(HttpServerExchange exchange) {
        inFlight.incrementAndGet();
        exchange.addExchangeCompleteListener((ex, next) -> {
            inFlight.decrementAndGet();
            next.proceed();
        });
    }

    /** The route label of a request: its pattern, never the path (ids would make series without end). */
    private static String routeOf(Router.Match match) {
        return match.found() ? match.route().pattern() : Metrics.NO_ROUTE;
    }

    private void run(HttpServerExchange exchange, Router.Match match, byte[] body, String method, String path,
                     long started) {
        String route = match.route().pattern();
        try {
            Map<String, String> query = exchange.getQueryString().isEmpty() ? Map.of() : new HashMap<>();
            for (Map.Entry<String, Deque<String>> q : exchange.getQueryParameters().entrySet()) {
                query.put(q.getKey(), q.getValue().peekFirst());
            }
            Response response;
            try {
                response = match.route().handler().handle(new Request(match.params(), query, body,
                        fleetHeaders(exchange)));
            } catch (VmException e) {
                throw ApiException.from(e);
            }
            Response.Text answer = response.body() == null || response.body() instanceof Response.Text
                    ? (Response.Text) response.body() : Replies.json(response.body());
            // Counted before the answer leaves: whoever reads the metrics after it sees this request.
            done(method, path, route, response.status(), started);
            Replies.send(exchange, response.status(), answer);
        } catch (ApiException e) {
            fail(exchange, e, method, path, route, started);
        } catch (RuntimeException e) {
            LOG.error("{} {} failed", method, path, e);
            metrics.error("internal_error");
            done(method, path, route, 500, started);
            Replies.send(exchange, 500, Replies.error("internal_error", "Internal server error"));
        }
    }

    /** The X-Scalebox-* headers of a request (a relayed create's reservation), names lower-cased. */
    private static Map<String, String> fleetHeaders(HttpServerExchange exchange) {
        Map<String, String> out = Map.of();
        for (io.undertow.util.HeaderValues h : exchange.getRequestHeaders()) {
            String name = h.getHeaderName().toString().toLowerCase(java.util.Locale.ROOT);
            if (name.startsWith("x-scalebox-")) {
                if (out.isEmpty()) {
                    out = new HashMap<>();
                }
                out.put(name, h.getFirst());
            }
        }
        return out;
    }

    private void fail(HttpServerExchange exchange, ApiException e, String method, String path, String route,
                      long started) {
        metrics.error(e.code());
        done(method, path, route, e.status(), started);
        Replies.fail(exchange, e);
    }

    private void done(String method, String path, String route, int status, long started) {
        long nanos = System.nanoTime() - started;
        metrics.request(method, route, status, nanos);
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} {} {}ms", method, path, status, nanos / 1_000_000);
        }
    }

    private static ApiException tooLarge(long max) {
        return new ApiException(413, "body_too_large", "Request body too large (limit " + max + " bytes)");
    }
}
