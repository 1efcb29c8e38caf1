package io.scalebox.forwarder;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.scalebox.network.ProxyLoop;
import io.scalebox.network.ProxyTraffic;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The forwarder: a process of its own ({@code scaleboxd --forwarder SOCKET}, as the
 * unprivileged {@code scalebox-net}) that holds every VM's host port and proxies it to the
 * guest's SSH port ({@link ProxyLoop}, with all its bounds), so that open sessions outlive
 * restarts of the daemon. The daemon tells it which ports to open over a control socket, one
 * request per connection ({@link ControlMessage}). A newer forwarder binds the same ports beside
 * it (SO_REUSEPORT); told to drain, this one stops accepting and exits once its last session
 * has ended.
 */
public final class Forwarder {
    private static final Logger LOG = LogManager.getLogger(Forwarder.class);
    static final Pattern VM_ID = Pattern.compile("vm-[0-9a-f]{12}");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Duration REQUEST_TIME = Duration.ofSeconds(10);
    private final ProxyLoop loop;
    private final String version;
    private final Map<String, Port> ports = new HashMap<>();
    private volatile boolean draining;

    /** One VM's port: where it forwards to, and the open listener. */
    private record Port(int port, InetSocketAddress guest, AutoCloseable listener) {
    }

    Forwarder(ProxyLoop loop, String version) {
        this.loop = loop;
        this.version = version;
    }

    /** Runs the forwarder on {@code socket} until it has drained; returns its exit status. */
    public static int run(Path socket, String version) {
        try (ProxyLoop loop = new ProxyLoop(ProxyLoop.DEFAULT);
             ServerSocketChannel control = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            Files.deleteIfExists(socket);
            control.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            Forwarder forwarder = new Forwarder(loop, version);
            LOG.info("forwarder {} (pid {}) listening for the daemon on {}", version, ProcessHandle.current().pid(),
                    socket);
            forwarder.serve(control);
            Files.deleteIfExists(socket);
            LOG.info("forwarder drained: every session has ended; exiting");
            return 0;
        } catch (IOException e) {
            LOG.fatal("forwarder: {}", e.getMessage());
            return 1;
        }
    }

    /** Answers the daemon, one request at a time, until drained and empty (checked every second). */
    private void serve(ServerSocketChannel control) throws IOException {
        control.configureBlocking(false);
        try (java.nio.channels.Selector selector = java.nio.channels.Selector.open()) {
            control.register(selector, java.nio.channels.SelectionKey.OP_ACCEPT);
            while (!(draining && loop.openConnections() == 0)) {
                selector.select(1000);
                selector.selectedKeys().clear();
                for (SocketChannel next; (next = control.accept()) != null; ) {
                    answer(next);
                }
            }
        }
    }

    private void answer(SocketChannel client) {
        try (client) {
            JsonObject answer;
            try {
                answer = handle(ControlMessage.read(client, REQUEST_TIME));
            } catch (IOException | RuntimeException e) {
                answer = error("bad request: " + e.getMessage());
            }
            client.configureBlocking(true);
            ControlMessage.write(client, answer);
        } catch (IOException e) {
            LOG.warn("control connection: {}", e.getMessage());
        }
    }

    JsonObject handle(JsonObject request) {
        String op = text(request, "op");
        switch (op) {
            case "status":
                JsonObject s = ok();
                s.addProperty("version", version);
                s.addProperty("pid", ProcessHandle.current().pid());
                s.addProperty("draining", draining);
                s.addProperty("ports", ports.size());
                s.addProperty("connections", loop.openConnections());
                return s;
            case "open":
                return open(request);
            case "close":
                close(vmId(request));
                return ok();
            case "sync":
                return sync(request.getAsJsonArray("ports"));
            case "traffic":
                return traffic();
            case "drain":
                if (!draining) {
                    draining = true;
                    loop.drain();
                    ports.clear();
                    LOG.info("draining: the ports are a newer forwarder's now; {} session(s) run out here",
                            loop.openConnections());
                }
                return ok();
            default:
                return error("unknown op " + op);
        }
    }

    private JsonObject open(JsonObject request) {
        String vm = vmId(request);
        int port = number(request, "port", 1, 65535);
        InetSocketAddress guest = new InetSocketAddress(ipv4(text(request, "guest")), number(request, "guest_port", 1, 65535));
        if (draining) {
            return error("draining");
        }
        Port current = ports.get(vm);
        if (current != null && current.port() == port && current.guest().equals(guest)) {
            return ok();
        }
        close(vm);
        try {
            ports.put(vm, new Port(port, guest, loop.open(vm, port, guest)));
            LOG.info("{}: port {} forwarded to {}", vm, port, guest);
            return ok();
        } catch (IOException e) {
            return error("port " + port + ": " + e.getMessage());
        }
    }

    private void close(String vm) {
        Port p = ports.remove(vm);
        if (p != null) {
            try {
                p.listener().close(); // a ProxyPort: its sessions end with it
            } catch (Exception e) {
                LOG.warn("{}: closing port {}: {}", vm, p.port(), e.getMessage());
            }
            LOG.info("{}: port {} closed", vm, p.port());
        }
    }

    /** The whole table: ports not in it close, missing ones open; the failures by VM. */
    private JsonObject sync(JsonArray table) {
        if (table == null) {
            return error("ports missing");
        }
        Set<String> wanted = new HashSet<>();
        JsonObject failed = new JsonObject();
        for (JsonElement e : table) {
            JsonObject entry = e.getAsJsonObject();
            wanted.add(vmId(entry));
            JsonObject result = open(entry);
            if (!result.get("ok").getAsBoolean()) {
                failed.addProperty(vmId(entry), result.get("error").getAsString());
            }
        }
        for (String vm : new HashSet<>(ports.keySet())) {
            if (!wanted.contains(vm)) {
                close(vm);
            }
        }
        JsonObject answer = ok();
        answer.add("failed", failed);
        return answer;
    }

    private JsonObject traffic() {
        JsonObject byVm = new JsonObject();
        for (Map.Entry<String, ProxyTraffic> t : loop.traffic().entrySet()) {
            JsonObject o = new JsonObject();
            o.addProperty("open", t.getValue().open());
            o.addProperty("accepted", t.getValue().accepted());
            o.addProperty("refused", t.getValue().refused());
            o.addProperty("to_guest", t.getValue().bytesToGuest());
            o.addProperty("from_guest", t.getValue().bytesFromGuest());
            byVm.add(t.getKey(), o);
        }
        JsonObject answer = ok();
        answer.add("traffic", byVm);
        return answer;
    }

    private static String vmId(JsonObject o) {
        String id = text(o, "vm");
        if (!VM_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("bad vm id");
        }
        return id;
    }

    private static String ipv4(String text) {
        var m = IPV4.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("guest is not an IPv4 address");
        }
        for (int i = 1; i <= 4; i++) {
            if (Integer.parseInt(m.group(i)) > 255) {
                throw new IllegalArgumentException("guest is not an IPv4 address");
            }
        }
        return text;
    }

    static String text(JsonObject o, String field) {
        JsonElement e = o.get(field);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException(field + " missing");
        }
        return e.getAsString();
    }

    private static int number(JsonObject o, String field, int min, int max) {
        JsonElement e = o.get(field);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(field + " missing");
        }
        long v = e.getAsLong();
        if (v < min || v > max) {
            throw new IllegalArgumentException(field + " out of range");
        }
        return (int) v;
    }

    static JsonObject ok() {
        JsonObject o = new JsonObject();
        o.addProperty("ok", true);
        return o;
    }

    static JsonObject error(String message) {
        JsonObject o = new JsonObject();
        o.addProperty("ok", false);
        o.addProperty("error", message);
        return o;
    }
}
