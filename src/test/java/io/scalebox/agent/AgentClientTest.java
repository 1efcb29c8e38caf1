package io.scalebox.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's agent client against a stand-in agent, honest and hostile: every answer is bounded
 * in size, depth and time, a late answer is never taken for the next one, a forged one closes
 * the channel, and one hostile guest does not hold up another's calls.
 */
class AgentClientTest {
    @TempDir
    Path dir;

    private AgentSession session(Path socket) {
        return new AgentSession(AgentChannel.qemu(socket));
    }

    @Test
    void anHonestAgentAnswersAfterStaleBytesBeforeTheSentinel() throws Exception {
        Path socket = dir.resolve("qga.sock");
        try (FakeAgent agent = new FakeAgent(socket, (req, id) -> switch (req.get("execute").getAsString()) {
            case "guest-exec" -> FakeAgent.ok("{\"pid\": 1234}", id);
            case "guest-exec-status" -> FakeAgent.ok("{\"exited\": true, \"exitcode\": 3, \"out-data\": \"aGk=\"}", id);
            case "guest-file-read" -> FakeAgent.ok("{\"count\": 2, \"buf-b64\": \"aGk=\", \"eof\": true}", id);
            default -> FakeAgent.ok("{}", id);
        })) {
            agent.beforeSentinel = "{\"return\": {\"half an answer".getBytes(StandardCharsets.UTF_8);
            GuestAgent guest = new GuestAgent(session(socket));
            assertEquals(1234, guest.exec("/bin/true", List.of(), List.of("PATH=/bin"), true));
            GuestAgent.Status s = guest.execStatus(1234);
            assertTrue(s.exited());
            assertEquals(3, s.exitCode().orElseThrow());
            assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), s.out());
            GuestAgent.Chunk c = guest.fileRead(7, 10);
            assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), c.bytes());
            assertTrue(c.eof());
        }
    }

    @Test
    void garbageDeepOrForgedAnswersCloseTheChannel() throws Exception {
        for (String bad : List.of("not json at all\n", "[\"an array\"]\n", "[".repeat(10_000) + "\n",
                "{\"return\": {}, \"id\": 1}\n", "{\"return\": {}}\n", "{\"id\": ID}\n",
                "{\"return\": {\"pid\": \"nine\"}, \"id\": ID}\n", "{\"return\": {\"pid\": 99999999999999999999999}, \"id\": ID}\n")) {
            Path socket = dir.resolve("bad" + Math.abs(bad.hashCode()) + ".sock");
            try (FakeAgent agent = new FakeAgent(socket, (req, id) -> bad.replace("ID", id).getBytes(StandardCharsets.UTF_8))) {
                AgentSession s = session(socket);
                AgentException e = assertThrows(AgentException.class,
                        () -> new GuestAgent(s).exec("/bin/true", List.of(), List.of(), false), bad);
                assertEquals(AgentException.Kind.PROTOCOL, e.kind(), bad + ": " + e.getMessage());
                assertEquals(AgentSession.State.connecting, s.state());
            }
        }
    }

    @Test
    void anEndlessLineStopsAtTheFrameCap() throws Exception {
        Path socket = dir.resolve("endless.sock");
        byte[] flood = new byte[AgentWire.MAX_FRAME + 1024];
        Arrays.fill(flood, (byte) 'x');
        try (FakeAgent agent = new FakeAgent(socket, (req, id) -> flood)) {
            long t0 = System.nanoTime();
            AgentException e = assertThrows(AgentException.class, () -> session(socket).call("guest-ping", null,
                    Duration.ofSeconds(10)));
            assertEquals(AgentException.Kind.PROTOCOL, e.kind());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "not by waiting for the deadline");
        }
    }

    @Test
    void aTrickleOrSilenceTimesOutAndTheNextCallSynchronisesFirst() throws Exception {
        Path socket = dir.resolve("slow.sock");
        try (FakeAgent agent = new FakeAgent(socket, (req, id) -> null)) {
            AgentSession s = session(socket);
            long t0 = System.nanoTime();
            AgentException e = assertThrows(AgentException.class, () -> s.call("guest-ping", null, Duration.ofMillis(500)));
            assertEquals(AgentException.Kind.TIMEOUT, e.kind());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3));
            // The late answer of the first call arrives first; the sync skips it; then the real one.
            agent.beforeSentinel = FakeAgent.ok("{\"late\": true}", "1");
            agent.answer = (req, id) -> FakeAgent.ok("{\"fresh\": true}", id);
            JsonObject fresh = s.call("guest-info", null, Duration.ofSeconds(5)).getAsJsonObject();
            assertTrue(fresh.has("fresh"), fresh.toString());
        }
        Path trickle = dir.resolve("trickle.sock");
        try (FakeAgent agent = new FakeAgent(trickle, (req, id) -> {
            sleepQuietly(200);
            return "{\"ret".getBytes(StandardCharsets.UTF_8);
        })) {
            long t0 = System.nanoTime();
            AgentException e = assertThrows(AgentException.class, () -> session(trickle).call("guest-ping", null,
                    Duration.ofSeconds(1)));
            assertEquals(AgentException.Kind.TIMEOUT, e.kind());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3), "the deadline holds");
        }
    }

    @Test
    void readsAreCheckedAgainstWhatWasAsked() throws Exception {
        for (String reply : List.of("{\"count\": 3, \"buf-b64\": \"aGk=\", \"eof\": false}",
                "{\"count\": 9, \"buf-b64\": \"aGVsbG8gd29ybGQ=\", \"eof\": false}",
                "{\"count\": 2, \"buf-b64\": \"!!not base64!!\", \"eof\": false}")) {
            Path socket = dir.resolve("read" + Math.abs(reply.hashCode()) + ".sock");
            try (FakeAgent agent = new FakeAgent(socket, (req, id) -> FakeAgent.ok(reply, id))) {
                AgentException e = assertThrows(AgentException.class,
                        () -> new GuestAgent(session(socket)).fileRead(1, 4), reply);
                assertEquals(AgentException.Kind.PROTOCOL, e.kind(), reply);
            }
        }
    }

    @Test
    void errorAnswersAreQuotedShortAndEscaped() throws Exception {
        Path socket = dir.resolve("err.sock");
        String desc = "x".repeat(2000) + "\u001b[31m";
        try (FakeAgent agent = new FakeAgent(socket, (req, id) -> ("{\"error\": {\"class\": \"GenericError\", \"desc\": \""
                + desc.replace("\u001b", "\\u001b") + "\"}, \"id\": " + id + "}\n").getBytes(StandardCharsets.UTF_8))) {
            AgentException e = assertThrows(AgentException.class, () -> session(socket).call("guest-ping", null,
                    Duration.ofSeconds(5)));
            assertEquals(AgentException.Kind.FAILED, e.kind());
            assertTrue(e.getMessage().length() < 600, "cut short");
            assertTrue(!e.getMessage().contains("\u001b"), "escaped");
        }
    }

    @Test
    void oneHostileGuestDoesNotHoldUpAnother() throws Exception {
        Path hostile = dir.resolve("hostile.sock");
        Path honest = dir.resolve("honest.sock");
        try (FakeAgent bad = new FakeAgent(hostile, (req, id) -> null);
             FakeAgent good = new FakeAgent(honest, (req, id) -> FakeAgent.ok("{}", id))) {
            AgentSession badSession = session(hostile);
            ExecutorService callers = Executors.newFixedThreadPool(24);
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                calls.add(callers.submit(() -> {
                    try {
                        badSession.call("guest-ping", null, Duration.ofSeconds(2));
                    } catch (AgentException e) {
                        return e.kind();
                    }
                    return null;
                }));
            }
            AgentSession goodSession = session(honest);
            long t0 = System.nanoTime();
            goodSession.call("guest-ping", null, Duration.ofSeconds(5));
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1), "the honest agent answers at once");
            long busy = 0;
            for (Future<?> f : calls) {
                Object kind = f.get(30, TimeUnit.SECONDS);
                if (kind == AgentException.Kind.BUSY) {
                    busy++;
                }
            }
            assertTrue(busy >= 24 - AgentSession.MAX_WAITING - 1, "callers past the queue are refused at once: " + busy);
            callers.shutdownNow();
        }
    }

    @Test
    void firecrackersHandshakeIsCheckedAndBounded() throws Exception {
        Path socket = dir.resolve("vsock.sock");
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(socket));
            for (String answer : List.of("OK 1073741824\n", "NOPE\n", "x".repeat(100))) {
                Thread t = new Thread(() -> {
                    try (var c = server.accept()) {
                        java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(64);
                        c.read(in);
                        assertEquals("CONNECT 1024\n", new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII));
                        c.write(java.nio.ByteBuffer.wrap(answer.getBytes(StandardCharsets.US_ASCII)));
                        sleepQuietly(300);
                    } catch (java.io.IOException e) {
                        // the client went
                    }
                });
                t.start();
                AgentChannel channel = AgentChannel.firecrackerVsock(socket, 1024);
                if (answer.startsWith("OK")) {
                    channel.open(Duration.ofSeconds(5)).close();
                } else {
                    assertThrows(AgentException.class, () -> channel.open(Duration.ofSeconds(5)), answer);
                }
                t.join();
            }
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
