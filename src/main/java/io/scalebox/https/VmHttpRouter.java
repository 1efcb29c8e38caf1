package io.scalebox.https;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import io.undertow.client.UndertowClient;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.proxy.ProxyCallback;
import io.undertow.server.handlers.proxy.ProxyClient;
import io.undertow.server.handlers.proxy.ProxyConnection;
import io.undertow.server.handlers.proxy.ProxyHandler;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import java.io.IOException;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.xnio.IoUtils;
import org.xnio.OptionMap;

/**
 * The one hop between Caddy and the VMs: an HTTP listener on the loopback interface that
 * proxies each request to the VM its Host header names ({@code <name>.<BASE_DOMAIN>} to the
 * guest's VM_HTTP_PORT), so that creating or deleting a VM never changes Caddy's
 * configuration. Streams both ways (no buffering of bodies) and passes WebSocket upgrades.
 * An unknown or stopped VM gets 502 with a short text.
 */
public final class VmHttpRouter {
    private static final Logger LOG = LogManager.getLogger(VmHttpRouter.class);
    private final Function<String, Optional<URI>> upstream;
    private Undertow server;

    /** @param upstream the guest URI (http://address:port) for a Host header, if it names a running VM */
    public VmHttpRouter(Function<String, Optional<URI>> upstream) {
        this.upstream = upstream;
    }

    public void start(int port) {
        ProxyHandler proxy = ProxyHandler.builder()
                .setProxyClient(new HostProxyClient(upstream))
                .setNext(VmHttpRouter::noSuchVm)
                .setReuseXForwarded(true)
                .setMaxRequestTime(-1)
                .build();
        server = Undertow.builder()
                .addHttpListener(port, "127.0.0.1")
                .setIoThreads(1)
                .setWorkerThreads(4)
                .setServerOption(UndertowOptions.MAX_HEADER_SIZE, 16 * 1024)
                .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, 120_000)
                .setHandler(proxy)
                .build();
        server.start();
        LOG.info("https: routing Caddy's requests to the VMs on 127.0.0.1:{}", port);
    }

    public void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private static void noSuchVm(HttpServerExchange exchange) {
        exchange.setStatusCode(502);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
        exchange.getResponseSender().send("No running VM at this address\n");
    }

    /** Picks the target per request; a client connection keeps its guest connection while the VM is the same. */
    static final class HostProxyClient implements ProxyClient {
        private static final AttachmentKey<Held> HELD = AttachmentKey.create(Held.class);
        private final Function<String, Optional<URI>> upstream;
        private final UndertowClient client = UndertowClient.getInstance();

        private record Target(URI uri) implements ProxyTarget {
        }

        private record Held(URI uri, ClientConnection connection) {
        }

        HostProxyClient(Function<String, Optional<URI>> upstream) {
            this.upstream = upstream;
        }

        @Override
        public ProxyTarget findTarget(HttpServerExchange exchange) {
            return upstream.apply(exchange.getRequestHeaders().getFirst(Headers.HOST)).map(Target::new).orElse(null);
        }

        @Override
        public void getConnection(ProxyTarget target, HttpServerExchange exchange,
                                  ProxyCallback<ProxyConnection> callback, long timeout, TimeUnit timeUnit) {
            URI uri = ((Target) target).uri();
            Held held = exchange.getConnection().getAttachment(HELD);
            if (held != null) {
                if (held.uri().equals(uri) && held.connection().isOpen()) {
                    callback.completed(exchange, new ProxyConnection(held.connection(), ""));
                    return;
                }
                // Another VM (or a closed one) on this client connection: never reuse it.
                exchange.getConnection().removeAttachment(HELD);
                IoUtils.safeClose(held.connection());
            }
            client.connect(new ClientCallback<>() {
                @Override
                public void completed(ClientConnection connection) {
                    exchange.getConnection().putAttachment(HELD, new Held(uri, connection));
                    exchange.getConnection().addCloseListener(c -> IoUtils.safeClose(connection));
                    callback.completed(exchange, new ProxyConnection(connection, ""));
                }

                @Override
                public void failed(IOException e) {
                    callback.failed(exchange);
                }
            }, uri, exchange.getIoThread(), exchange.getConnection().getByteBufferPool(), OptionMap.EMPTY);
        }
    }
}
