package io.scalebox.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The proxy on loopback: a "guest" echo server behind it, clients in front. */
class ProxyLoopTest {
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T later(T c) {
        closeables.add(c);
        return c;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A guest that echoes each connection's bytes back, in its own thread per connection. */
    private ServerSocket echoGuest(int port) throws IOException {
        ServerSocket server = later(new ServerSocket());
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = later(server.accept());
                    Thread echo = new Thread(() -> {
                        try {
                            s.getInputStream().transferTo(s.getOutputStream());
                            s.shutdownOutput();
                        } catch (IOException e) {
                            // closed
                        }
                    });
                    echo.setDaemon(true);
                    echo.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return server;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
            b.append((char) c);
        }
        return b.toString();
    }

    private Socket client(int port) throws IOException {
        Socket s = later(new Socket(InetAddress.getLoopbackAddress(), port));
        s.setSoTimeout(10_000);
        return s;
    }

    @Test
    void bytesSentBeforeTheGuestListensAreDeliveredAndEchoed() throws Exception {
        ProxyLoop loop = later(new ProxyLoop(ProxyLoop.DEFAULT));
        int guestPort = freePort();
        int hostPort = freePort();
        loop.open("vm-0123456789ab", hostPort, new InetSocketAddress(InetAddress.getLoopbackAddress(), guestPort));
        Socket c = client(hostPort);
        OutputStream out = c.getOutputStream();
        out.write("early\n".getBytes(StandardCharsets.US_ASCII));
        echoGuest(guestPort); // the guest "boots" after the client spoke
        assertEquals("early", readLine(c.getInputStream()));
        out.write("later\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("later", readLine(c.getInputStream()));
        c.shutdownOutput();
        assertEquals(-1, c.getInputStream().read(), "the guest's end follows the client's half-close");
    }

    @Test
    void connectionsBeyondTheCapsAreRefusedAndCounted() throws Exception {
        ProxyLoop loop = later(new ProxyLoop(new ProxyLoop.Limits(10, 3, 10, 120_000, 60_000, 3_600_000)));
        int guestPort = freePort();
        int hostPort = freePort();
        echoGuest(guestPort);
        loop.open("vm-0123456789ab", hostPort, new InetSocketAddress(InetAddress.getLoopbackAddress(), guestPort));
        List<Socket> kept = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Socket s = client(hostPort);
            s.getOutputStream().write("hi\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("hi", readLine(s.getInputStream()), "connection " + i + " works");
            kept.add(s);
        }
        Socket fourth = client(hostPort);
        assertEquals(-1, fourth.getInputStream().read(), "the fourth from the same address is closed at once");
        assertEquals(3, loop.openConnections());
        kept.get(0).close();
        for (int i = 0; i < 100 && loop.openConnections() > 2; i++) {
            Thread.sleep(50); // the proxy sees the close, then the guest's end
        }
        assertEquals(2, loop.openConnections());
        Socket again = client(hostPort);
        again.getOutputStream().write("back\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("back", readLine(again.getInputStream()), "a freed place can be taken again");
    }

    @Test
    void aClientThatSaysNothingIsClosed() throws Exception {
        ProxyLoop loop = later(new ProxyLoop(new ProxyLoop.Limits(10, 10, 10, 120_000, 300, 3_600_000)));
        int guestPort = freePort();
        int hostPort = freePort();
        echoGuest(guestPort);
        loop.open("vm-0123456789ab", hostPort, new InetSocketAddress(InetAddress.getLoopbackAddress(), guestPort));
        Socket silent = client(hostPort);
        assertEquals(-1, silent.getInputStream().read(), "closed by the proxy, not by the 10 s read timeout");
        assertEquals(0, loop.openConnections());
    }

    @Test
    void aGuestThatNeverAnswersEndsTheWaitingClient() throws Exception {
        ProxyLoop loop = later(new ProxyLoop(new ProxyLoop.Limits(10, 10, 10, 500, 60_000, 3_600_000)));
        int hostPort = freePort();
        loop.open("vm-0123456789ab", hostPort, new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort()));
        Socket waiting = client(hostPort);
        waiting.getOutputStream().write('x');
        assertEquals(-1, waiting.getInputStream().read());
    }

    @Test
    void manyConnectionsUseNoMoreThreads() throws Exception {
        ProxyLoop loop = later(new ProxyLoop(new ProxyLoop.Limits(1000, 1000, 1000, 120_000, 60_000, 3_600_000)));
        int guestPort = freePort();
        int hostPort = freePort();
        loop.open("vm-0123456789ab", hostPort, new InetSocketAddress(InetAddress.getLoopbackAddress(), guestPort));
        for (int i = 0; i < 300; i++) {
            client(hostPort).getOutputStream().write('x'); // the guest is down: all of them wait
        }
        // The kernel completes handshakes before the loop accepts them: wait until it has.
        for (int i = 0; i < 200 && loop.openConnections() < 300; i++) {
            Thread.sleep(50);
        }
        assertEquals(300, loop.openConnections());
        long proxyThreads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("proxy")).count();
        assertEquals(1, proxyThreads, "one loop thread for every connection");
    }

    @Test
    void closingAPortEndsItsConnections() throws Exception {
        ProxyLoop loop = later(new ProxyLoop(ProxyLoop.DEFAULT));
        int guestPort = freePort();
        int hostPort = freePort();
        echoGuest(guestPort);
        AutoCloseable port = loop.open("vm-0123456789ab", hostPort,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), guestPort));
        Socket c = client(hostPort);
        c.getOutputStream().write("hi\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("hi", readLine(c.getInputStream()));
        port.close();
        assertEquals(-1, c.getInputStream().read());
        assertEquals(0, loop.openConnections());
    }

    @Test
    void silentConnectionsBeyondTheirCapAreDroppedOldestFirst() throws Exception {
        ProxyLoop loop = later(new ProxyLoop(new ProxyLoop.Limits(100, 100, 2, 120_000, 60_000, 3_600_000)));
        int guestPort = freePort();
        int hostPort = freePort();
        echoGuest(guestPort);
        loop.open("vm-0123456789ab", hostPort, new InetSocketAddress(InetAddress.getLoopbackAddress(), guestPort));
        Socket talker = client(hostPort);
        talker.getOutputStream().write("hi\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("hi", readLine(talker.getInputStream()));
        Socket first = client(hostPort);
        for (int i = 0; i < 100 && loop.openConnections() < 2; i++) {
            Thread.sleep(20);
        }
        client(hostPort);
        client(hostPort);
        assertEquals(-1, first.getInputStream().read(), "the oldest silent connection made room");
        talker.getOutputStream().write("still\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("still", readLine(talker.getInputStream()), "a client that spoke is never dropped for silence");
    }
}
