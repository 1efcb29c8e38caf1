package io.scalebox.forwarder;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.scalebox.network.PortProxies;
import io.scalebox.network.ProxyTraffic;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The daemon's side of the forwarders ({@link Forwarder}): which one is current, what it must
 * forward, and the hand-over to a newer one. A daemon restart finds the forwarder running and
 * tells it the same ports again, so sessions are untouched. After an upgrade the forwarder is
 * older than the daemon: a new one is started, takes the table and binds the ports beside the
 * old one, which then drains. A forwarder that died is started again with the table.
 */
public final class Forwarders implements PortProxies {
    private static final Logger LOG = LogManager.getLogger(Forwarders.class);
    private static final Duration CALL_TIME = Duration.ofSeconds(10);
    private static final Duration START_TIME = Duration.ofSeconds(15);
    private final ForwarderStarter process;
    private final Path dir;
    private final String version;
    /** What the current forwarder must forward, by VM id (the daemon's view). */
    private final Map<String, Entry> table = new LinkedHashMap<>();
    private Optional<String> current = Optional.empty();
    /** When a start last failed: the next try waits this long (the housekeeping's period). */
    private static final Duration RETRY_AFTER = Duration.ofSeconds(5);
    private long failedAt = Long.MIN_VALUE / 2;
    /** Forwarders of another version found at the start, drained once the current one has the table. */
    private final List<String> older = new ArrayList<>();

    private record Entry(int port, InetSocketAddress guest) {
    }

    Forwarders(ForwarderStarter process, Path dir, String version) {
        this.process = process;
        this.dir = dir;
        this.version = version;
    }

    /** The forwarders of this host, launched through {@code launcher} as {@code account}. */
    public static Forwarders at(Path dir, boolean systemd, io.scalebox.host.Account account, Path launcher,
                                String version) {
        return new Forwarders(new ForwarderProcess(systemd, account, launcher, dir), dir, version);
    }

    /**
     * Finds the running forwarders (a restart of the daemon: this version's is current) and
     * starts one of this version when none is. Older ones keep their ports until {@link #settle}.
     */
    public synchronized void start() throws IOException {
        for (String gen : generations()) {
            Optional<Status> status = status(gen);
            if (status.isEmpty()) {
                LOG.warn("forwarder {} does not answer; its socket is removed", gen);
                process.end(gen);
            } else if (status.get().draining()) {
                LOG.info("forwarder {} is draining ({} session(s) left)", gen, status.get().connections());
            } else if (current.isEmpty() && version.equals(status.get().version())) {
                current = Optional.of(gen);
                LOG.info("forwarder {} (pid {}) carries on with {} port(s) and {} session(s)", gen,
                        status.get().pid(), status.get().ports(), status.get().connections());
            } else {
                older.add(gen);
            }
        }
        if (current.isEmpty()) {
            launch();
        }
    }

    /**
     * The start's recovery is done: the current forwarder gets the whole table (closing ports
     * of VMs that are gone), and older forwarders stop accepting and let their sessions end.
     */
    public synchronized void settle() {
        push();
        for (String gen : older) {
            if (call(gen, request("drain")).isPresent()) {
                LOG.info("forwarder {} handed its ports over and drains", gen);
            }
        }
        older.clear();
    }

    @Override
    public synchronized AutoCloseable open(String vmId, int hostPort, InetSocketAddress guest) throws IOException {
        Entry entry = new Entry(hostPort, guest);
        JsonObject answer = callCurrent(entryRequest("open", vmId, entry));
        if (!answer.get("ok").getAsBoolean()) {
            throw new IOException("forwarder: " + Forwarder.text(answer, "error"));
        }
        table.put(vmId, entry);
        return () -> close(vmId);
    }

    private synchronized void close(String vmId) throws IOException {
        if (table.remove(vmId) != null) {
            JsonObject request = request("close");
            request.addProperty("vm", vmId);
            callCurrent(request);
        }
    }

    /** Each VM port's figures, over every forwarder (a draining one's sessions included). */
    public Map<String, ProxyTraffic> traffic() {
        Map<String, ProxyTraffic> out = new HashMap<>();
        for (String gen : generations()) {
            Optional<JsonObject> answer = call(gen, request("traffic"));
            try {
                for (Map.Entry<String, JsonElement> e : answer.map(a -> a.getAsJsonObject("traffic").entrySet())
                        .orElse(java.util.Set.of())) {
                    if (!Forwarder.VM_ID.matcher(e.getKey()).matches()) {
                        continue; // only ids the daemon knows make series
                    }
                    JsonObject o = e.getValue().getAsJsonObject();
                    ProxyTraffic one = new ProxyTraffic(o.get("open").getAsInt(), o.get("accepted").getAsLong(),
                            o.get("refused").getAsLong(), o.get("to_guest").getAsLong(), o.get("from_guest").getAsLong());
                    out.merge(e.getKey(), one, (a, b) -> new ProxyTraffic(a.open() + b.open(),
                            a.accepted() + b.accepted(), a.refused() + b.refused(), a.bytesToGuest() + b.bytesToGuest(),
                            a.bytesFromGuest() + b.bytesFromGuest()));
                }
            } catch (RuntimeException e) {
                LOG.warn("forwarder {} answered with nonsense figures", gen);
            }
        }
        return out;
    }

    /**
     * Housekeeping: a current forwarder that no longer answers is replaced, with the whole table
     * (as is a missing one: its start failed).
     */
    public synchronized void check() {
        if (current.isPresent() && status(current.get()).isPresent()) {
            return;
        }
        if (current.isPresent()) {
            LOG.error("forwarder {} is gone: the VM ports are opened again by a new one (their open sessions"
                    + " were cut)", current.get());
            process.end(current.get());
            current = Optional.empty();
        }
        try {
            launch();
            push();
        } catch (IOException e) {
            LOG.error("cannot start a forwarder: {}; VM ports stay closed until the next try", e.getMessage());
        }
    }

    private void launch() throws IOException {
        if (System.nanoTime() - failedAt < RETRY_AFTER.toNanos()) {
            throw new IOException("the forwarder of the VM ports is not running (it failed to start moments ago;"
                    + " see the journal)");
        }
        failedAt = System.nanoTime();
        String gen = HexFormat.of().formatHex(randomBytes(4));
        process.start(gen);
        long end = System.nanoTime() + START_TIME.toNanos();
        for (int round = 0; System.nanoTime() < end; round++) {
            if (Files.exists(process.socket(gen)) && status(gen).isPresent()) {
                current = Optional.of(gen);
                failedAt = Long.MIN_VALUE / 2;
                LOG.info("forwarder {} started for {}", gen, version);
                return;
            }
            if (round % 10 == 9 && !process.running(gen)) {
                break; // it exited: no need to wait out the deadline
            }
            sleep(50);
        }
        process.end(gen);
        throw new IOException("the forwarder did not start (journalctl -t scalebox-forwarder, or "
                + dir.resolve(gen + ".log") + " without systemd)");
    }

    private void push() {
        JsonArray ports = new JsonArray();
        table.forEach((vm, entry) -> ports.add(entryRequest("entry", vm, entry)));
        JsonObject sync = request("sync");
        sync.add("ports", ports);
        try {
            JsonObject answer = callCurrent(sync);
            JsonObject failed = answer.getAsJsonObject("failed");
            if (failed != null) {
                failed.entrySet().forEach(f -> LOG.error("{}: its port could not be opened: {}", f.getKey(), f.getValue()));
            }
        } catch (IOException e) {
            LOG.error("cannot give the forwarder its table: {}", e.getMessage());
        }
    }

    private JsonObject callCurrent(JsonObject request) throws IOException {
        if (current.isEmpty()) {
            launch();
        }
        return call(current.get(), request).orElseThrow(() -> new IOException("the forwarder does not answer"));
    }

    /** What a forwarder says of itself. */
    private record Status(String version, long pid, boolean draining, int ports, int connections) {
    }

    private Optional<Status> status(String gen) {
        return call(gen, request("status")).flatMap(s -> {
            try {
                return Optional.of(new Status(Forwarder.text(s, "version"), s.get("pid").getAsLong(),
                        s.get("draining").getAsBoolean(), s.get("ports").getAsInt(), s.get("connections").getAsInt()));
            } catch (RuntimeException e) {
                LOG.warn("forwarder {} answered its status with nonsense", gen);
                return Optional.empty();
            }
        });
    }

    /** One request; empty when the forwarder cannot be reached or answers nonsense. */
    private Optional<JsonObject> call(String gen, JsonObject request) {
        Path socket = process.socket(gen);
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            if (Files.isSymbolicLink(socket)) {
                throw new IOException(socket + " is a symbolic link");
            }
            ch.connect(UnixDomainSocketAddress.of(socket));
            ControlMessage.write(ch, request);
            JsonObject answer = ControlMessage.read(ch, CALL_TIME);
            if (!answer.has("ok") || !answer.get("ok").isJsonPrimitive()) {
                throw new IOException("an answer without ok");
            }
            return Optional.of(answer);
        } catch (IOException | RuntimeException e) {
            LOG.debug("forwarder {}: {}", gen, e.getMessage());
            return Optional.empty();
        }
    }

    /** The generations with a control socket in the directory. */
    private List<String> generations() {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> sockets = Files.newDirectoryStream(dir, "*.sock")) {
            for (Path s : sockets) {
                String name = s.getFileName().toString();
                out.add(name.substring(0, name.length() - ".sock".length()));
            }
        } catch (IOException e) {
            // no directory: no forwarder
        }
        return out;
    }

    private static JsonObject request(String op) {
        JsonObject o = new JsonObject();
        o.addProperty("op", op);
        return o;
    }

    private static JsonObject entryRequest(String op, String vm, Entry entry) {
        JsonObject o = request(op);
        o.addProperty("vm", vm);
        o.addProperty("port", entry.port());
        o.addProperty("guest", entry.guest().getAddress().getHostAddress());
        o.addProperty("guest_port", entry.guest().getPort());
        return o;
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
