package io.scalebox.network;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Forwards TCP connections from a host port to a guest port. A client's bytes wait in the
 * kernel until the guest side is connected (connecting is retried while the guest boots),
 * so nothing a client sends early is lost.
 */
public final class TcpProxy implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(TcpProxy.class);
    /** How long a client may wait for a guest that is still booting. */
    private static final long CONNECT_PATIENCE_MS = 120_000;

    private final String vmId;
    private final InetSocketAddress guest;
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public TcpProxy(String vmId, int hostPort, InetSocketAddress guest) throws IOException {
        this.vmId = vmId;
        this.guest = guest;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(hostPort), 128);
        Thread t = new Thread(this::acceptLoop, "proxy-" + vmId);
        t.setDaemon(true);
        t.start();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                open.add(client);
                Thread t = new Thread(() -> serve(client), "proxy-" + vmId + "-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("{}: accept failed: {}", vmId, e.getMessage());
                }
            }
        }
    }

    private void serve(Socket client) {
        Socket upstream = connectGuest();
        if (upstream == null) {
            LOG.info("{}: guest port {} unreachable; closing client {}", vmId, guest.getPort(),
                    client.getRemoteSocketAddress());
            closeQuietly(client);
            open.remove(client);
            return;
        }
        open.add(upstream);
        Thread back = new Thread(() -> pump(upstream, client), "proxy-" + vmId + "-down");
        back.setDaemon(true);
        back.start();
        pump(client, upstream);
        try {
            back.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(client);
        closeQuietly(upstream);
        open.remove(client);
        open.remove(upstream);
    }

    private Socket connectGuest() {
        long deadline = System.currentTimeMillis() + CONNECT_PATIENCE_MS;
        while (!closed && System.currentTimeMillis() < deadline) {
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                s.connect(guest, 2000);
                return s;
            } catch (IOException e) {
                closeQuietly(s);
                try {
                    Thread.sleep(250);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
        }
        return null;
    }

    /** Copies until EOF, then half-closes the other side so the peer sees the end too. */
    private static void pump(Socket from, Socket to) {
        byte[] buf = new byte[64 * 1024];
        try {
            from.setTcpNoDelay(true);
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // already closed
        }
    }
}
