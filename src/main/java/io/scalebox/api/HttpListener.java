package io.scalebox.api;

import io.undertow.UndertowOptions;
import io.undertow.connector.ByteBufferPool;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.protocol.http.HttpOpenListener;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Optional;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptListenerSettable;
import org.xnio.channels.AcceptingChannel;

/**
 * The API's HTTP listener: Undertow's HTTP/1.1 protocol on an XNIO worker, on a socket bound
 * here or on one handed over by systemd (socket activation, {@code StandardInput=socket}),
 * which systemd keeps listening while the daemon restarts: clients wait in its backlog instead
 * of being refused. Assembled as Undertow's own start does, because Undertow can only bind.
 */
public final class HttpListener {
    private static final org.apache.logging.log4j.Logger LOG =
            org.apache.logging.log4j.LogManager.getLogger(HttpListener.class);
    private final XnioWorker worker;
    private final AcceptingChannel<? extends StreamConnection> server;

    private HttpListener(XnioWorker worker, AcceptingChannel<? extends StreamConnection> server) {
        this.worker = worker;
        this.server = server;
    }

    /**
     * Serves {@code handler} on {@code inherited} when given, else on a socket bound to
     * {@code bind}:{@code port}. {@code serverOptions}: Undertow's (limits, timeouts).
     */
    static HttpListener start(HttpHandler handler, Optional<ServerSocketChannel> inherited, String bind, int port,
                              int ioThreads, int workerThreads, int maxConnections, OptionMap serverOptions)
            throws IOException {
        XnioWorker worker = Xnio.getInstance(io.undertow.Undertow.class.getClassLoader()).createWorker(
                OptionMap.builder()
                        .set(Options.WORKER_IO_THREADS, ioThreads)
                        .set(Options.WORKER_TASK_CORE_THREADS, workerThreads)
                        .set(Options.WORKER_TASK_MAX_THREADS, workerThreads)
                        .set(Options.CONNECTION_HIGH_WATER, 1_000_000)
                        .set(Options.CONNECTION_LOW_WATER, 1_000_000)
                        .set(Options.TCP_NODELAY, true)
                        .set(Options.CORK, true)
                        .getMap());
        try {
            OptionMap socketOptions = OptionMap.builder()
                    .set(Options.WORKER_IO_THREADS, ioThreads)
                    .set(Options.TCP_NODELAY, true)
                    .set(Options.REUSE_ADDRESSES, true)
                    .set(Options.BALANCING_TOKENS, 1)
                    .set(Options.BALANCING_CONNECTIONS, 2)
                    .set(Options.BACKLOG, 4096)
                    .set(Options.CONNECTION_HIGH_WATER, maxConnections)
                    .set(Options.CONNECTION_LOW_WATER, maxConnections)
                    .getMap();
            // Undertow's buffers for a heap of this size (16 KiB, direct).
            ByteBufferPool buffers = new DefaultByteBufferPool(true, 16 * 1024 - 20, -1, 4);
            HttpOpenListener open = new HttpOpenListener(buffers, OptionMap.builder()
                    .set(UndertowOptions.NO_REQUEST_TIMEOUT, 60_000).addAll(serverOptions).getMap());
            open.setRootHandler(handler);
            ChannelListener<AcceptingChannel<StreamConnection>> accept = ChannelListeners.openListenerAdapter(open);
            AcceptingChannel<? extends StreamConnection> server = inherited.isPresent()
                    ? adopt(worker, inherited.get(), socketOptions, accept)
                    : worker.createStreamConnectionServer(new InetSocketAddress(bind, port), accept, socketOptions);
            server.resumeAccepts();
            return new HttpListener(worker, server);
        } catch (IOException | RuntimeException e) {
            worker.shutdownNow();
            throw e;
        }
    }

    /**
     * XNIO's server around a socket that is already bound and listening: what its worker's
     * {@code createTcpConnectionServer} makes after binding (XNIO has no public way in). Its
     * classes are package-private; XNIO is pinned in the pom, and ApiServerTest serves through
     * this path.
     */
    @SuppressWarnings("unchecked")
    private static AcceptingChannel<? extends StreamConnection> adopt(XnioWorker worker, ServerSocketChannel channel,
            OptionMap options, ChannelListener<AcceptingChannel<StreamConnection>> accept) throws IOException {
        try {
            channel.configureBlocking(false);
            Class<?> tcpServer = Class.forName("org.xnio.nio.NioTcpServer");
            Constructor<?> makeServer = tcpServer.getDeclaredConstructor(Class.forName("org.xnio.nio.NioXnioWorker"),
                    ServerSocketChannel.class, OptionMap.class, boolean.class);
            Constructor<?> makeQueued = Class.forName("org.xnio.nio.QueuedNioTcpServer2").getDeclaredConstructor(tcpServer);
            makeServer.setAccessible(true);
            makeQueued.setAccessible(true);
            Object queued = makeQueued.newInstance(makeServer.newInstance(worker, channel, options, true));
            ((AcceptListenerSettable<AcceptingChannel<StreamConnection>>) queued).setAcceptListener(accept);
            return (AcceptingChannel<StreamConnection>) queued;
        } catch (ReflectiveOperationException e) {
            throw new IOException("XNIO cannot take over the socket systemd holds: " + e, e);
        }
    }

    int port() {
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    /** No more connections are taken from the socket; those taken go on. */
    void stopAccepting() {
        server.suspendAccepts();
    }

    void stop() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        worker.shutdownNow();
    }

    /**
     * Loads and initializes what {@link ApiServer#start} needs (Undertow, XNIO, a worker made and ended
     * again) without binding anything. The daemon runs it on another
     * thread while its own start-up waits on child processes (ip, nft, systemctl): a warm start
     * then takes a few milliseconds instead of tens. Failures are left for {@link ApiServer#start} to report.
     */
    public static void warmUp() {
        try {
            Xnio xnio = Xnio.getInstance(io.undertow.Undertow.class.getClassLoader());
            XnioWorker worker = xnio.createWorker(OptionMap.builder()
                    .set(Options.WORKER_IO_THREADS, 1).set(Options.WORKER_TASK_CORE_THREADS, 1)
                    .set(Options.WORKER_TASK_MAX_THREADS, 1).getMap());
            worker.shutdownNow();
            for (String c : java.util.List.of("io.undertow.server.protocol.http.HttpOpenListener",
                    "io.undertow.server.DefaultByteBufferPool", "org.xnio.ChannelListeners", "org.xnio.nio.NioTcpServer",
                    "org.xnio.nio.QueuedNioTcpServer2", "io.undertow.UndertowOptions",
                    "io.undertow.server.protocol.http.HttpReadListener", "io.undertow.server.HttpServerExchange",
                    "io.undertow.server.Connectors", "io.undertow.util.Headers", "io.undertow.util.Methods")) {
                Class.forName(c, true, HttpListener.class.getClassLoader());
            }
        } catch (Exception | LinkageError e) {
            LOG.debug("warm-up of the HTTP server failed (its start will tell): {}", e.toString());
        }
    }
}
