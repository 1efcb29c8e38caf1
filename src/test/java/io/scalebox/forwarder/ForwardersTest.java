package io.scalebox.forwarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forwarders with real sockets: each forwarder runs on a thread of its own here (a process
 * of its own in the daemon), a "guest" echoes lines, and a client keeps a session open while
 * daemons of the same and of a newer version take over.
 */
class ForwardersTest {
    @TempDir
    Path dir;
    private final List<Thread> running = new ArrayList<>();
    private final Map<String, Integer> exits = new ConcurrentHashMap<>();
    private ServerSocket guest;
    private int launches;

    /** Starts forwarders of {@code version} on threads, as the daemon of that version would as processes. */
    private ForwarderStarter threads(String version) {
        return new ForwarderStarter() {
            @Override
            public void start(String generation) {
                launches++;
                Thread t = new Thread(() -> exits.put(generation, Forwarder.run(socket(generation), version)));
                t.setDaemon(true);
                t.start();
                running.add(t);
            }

            @Override
            public boolean running(String generation) {
                return true;
            }

            @Override
            public Path socket(String generation) {
                return dir.resolve(generation + ".sock");
            }

            @Override
            public void end(String generation) {
                try {
                    Files.deleteIfExists(socket(generation));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }
        };
    }

    private Forwarders daemon(String version) throws IOException {
        Forwarders f = new Forwarders(threads(version), dir, version);
        f.start();
        return f;
    }

    /** A guest that answers each line with "echo: " and the line. */
    private InetSocketAddress echoGuest() throws IOException {
        guest = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!guest.isClosed()) {
                try {
                    Socket s = guest.accept();
                    Thread c = new Thread(() -> {
                        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                                StandardCharsets.UTF_8)); OutputStream out = s.getOutputStream()) {
                            for (String line; (line = in.readLine()) != null; ) {
                                out.write(("echo: " + line + "\n").getBytes(StandardCharsets.UTF_8));
                            }
                        } catch (IOException e) {
                            // session over
                        }
                    });
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return new InetSocketAddress("127.0.0.1", guest.getLocalPort());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A client session through the host port: a line out, its echo back. */
    private static final class Session implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;

        Session(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        }

        String say(String line) throws IOException {
            socket.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            return in.readLine();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Every forwarder still running drains (no session is left) and its thread ends. */
    @AfterEach
    void stop() throws Exception {
        if (guest != null) {
            guest.close();
        }
        try (var sockets = Files.list(dir)) {
            for (Path s : sockets.filter(p -> p.toString().endsWith(".sock")).toList()) {
                call(s, "drain");
            }
        }
        for (Thread t : running) {
            t.join(10_000);
            assertFalse(t.isAlive(), "a forwarder still runs");
        }
    }

    @Test
    void aSessionOutlivesARestartOfTheDaemonAndTheForwarderStays() throws Exception {
        InetSocketAddress to = echoGuest();
        int port = freePort();
        Forwarders first = daemon("1.0");
        first.open("vm-0123456789ab", port, to);
        try (Session session = new Session(port)) {
            assertEquals("echo: before", session.say("before"));
            // The daemon restarts: the new one finds the forwarder and tells it the same port again.
            Forwarders second = daemon("1.0");
            second.open("vm-0123456789ab", port, to);
            second.settle();
            assertEquals(1, launches, "the running forwarder is kept");
            assertEquals("echo: after", session.say("after"), "the session never noticed");
            assertEquals(1, second.traffic().get("vm-0123456789ab").open());
        }
    }

    @Test
    void aNewerDaemonHandsThePortsToANewForwarderAndTheOldOneDrains() throws Exception {
        InetSocketAddress to = echoGuest();
        int port = freePort();
        Forwarders old = daemon("1.0");
        old.open("vm-0123456789ab", port, to);
        old.open("vm-0123456789ac", freePort(), to);
        Path oldSocket = only(dir);
        try (Session session = new Session(port)) {
            assertEquals("echo: before", session.say("before"));

            Forwarders upgraded = daemon("2.0");
            assertEquals(2, launches, "a forwarder of the new version");
            upgraded.open("vm-0123456789ab", port, to); // binds beside the old one
            upgraded.settle(); // the old one drains
            assertEquals("echo: during", session.say("during"), "the old forwarder keeps its session");
            try (Session fresh = new Session(port)) {
                assertEquals("echo: new", fresh.say("new"), "new sessions reach the new forwarder");
            }
            assertEquals(2, upgraded.traffic().get("vm-0123456789ab").accepted(), "both forwarders' figures");
            assertTrue(Files.exists(oldSocket), "the old one waits for its session");
        }
        assertTrue(waitFor(() -> exits.containsKey(name(oldSocket))), "the old forwarder exits after its last session");
        assertEquals(0, exits.get(name(oldSocket)));
        assertFalse(Files.exists(oldSocket), "and takes its socket with it");
        JsonObject status = call(only(dir), "status");
        assertEquals("2.0", status.get("version").getAsString());
        assertEquals(1, status.get("ports").getAsInt(), "the VM the new daemon did not name is gone");
    }

    @Test
    void theControlChannelIsBounded() throws Exception {
        Path socket = dir.resolve("peer.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                 SocketChannel peer = server.accept()) {
                long t0 = System.nanoTime();
                assertThrows(java.net.SocketTimeoutException.class,
                        () -> ControlMessage.read(client, Duration.ofMillis(300)), "a peer that never answers");
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
                byte[] junk = new byte[256 * 1024];
                java.util.Arrays.fill(junk, (byte) 'x');
                Thread flood = new Thread(() -> {
                    try {
                        for (int i = 0; i < 32; i++) {
                            peer.write(java.nio.ByteBuffer.wrap(junk));
                        }
                    } catch (IOException e) {
                        // the reader gave up
                    }
                });
                flood.setDaemon(true);
                flood.start();
                IOException big = assertThrows(IOException.class, () -> ControlMessage.read(client, Duration.ofSeconds(10)));
                assertTrue(big.getMessage().contains("over"), big.getMessage());
            }
        } finally {
            Files.deleteIfExists(socket);
        }
        assertThrows(IOException.class, () -> ControlMessage.parse("[".repeat(50) + "]".repeat(50)), "too deep");
        assertThrows(IOException.class, () -> ControlMessage.parse("not json"));
    }

    @Test
    void aForwarderRefusesWhatIsNotATableEntry() throws Exception {
        try (io.scalebox.network.ProxyLoop loop = new io.scalebox.network.ProxyLoop(io.scalebox.network.ProxyLoop.DEFAULT)) {
            refuses(new Forwarder(loop, "1.0"));
        }
    }

    private static void refuses(Forwarder f) throws IOException {
        JsonObject bad = ControlMessage.parse("{\"op\":\"open\",\"vm\":\"../etc\",\"port\":22001,\"guest\":\"10.0.0.2\",\"guest_port\":22}");
        assertThrows(IllegalArgumentException.class, () -> f.handle(bad));
        JsonObject host = ControlMessage.parse("{\"op\":\"open\",\"vm\":\"vm-0123456789ab\",\"port\":22001,\"guest\":\"example.com\",\"guest_port\":22}");
        assertThrows(IllegalArgumentException.class, () -> f.handle(host), "addresses only: nothing is looked up");
        assertFalse(f.handle(ControlMessage.parse("{\"op\":\"nope\"}")).get("ok").getAsBoolean());
    }

    private static JsonObject call(Path socket, String op) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            JsonObject request = new JsonObject();
            request.addProperty("op", op);
            ControlMessage.write(ch, request);
            return ControlMessage.read(ch, Duration.ofSeconds(5));
        }
    }

    private static Path only(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            List<Path> sockets = s.filter(p -> p.toString().endsWith(".sock")).toList();
            assertEquals(1, sockets.size(), sockets.toString());
            return sockets.get(0);
        }
    }

    private static String name(Path socket) {
        String n = socket.getFileName().toString();
        return n.substring(0, n.length() - ".sock".length());
    }

    private static boolean waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }
}
