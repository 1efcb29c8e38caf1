package io.scalebox.hypervisor;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A stand-in Firecracker process for contract tests: {@code FakeFirecracker --api-sock S --id I}
 * serves the API on S and checks every request against Firecracker's documented API
 * (src/firecracker/swagger/firecracker.yaml): method, path, required and allowed fields,
 * types, enums, path/body id agreement, and pre-boot/post-boot ordering. A request that
 * breaks the contract gets Firecracker's 400 {@code fault_message} and a "VIOLATION" line in
 * {@code fake-requests.log} beside the socket. A step named in {@code fake-fault} beside the
 * socket or in $FAKE_FC_FAULT (e.g. {@code PUT /drives/rootfs}) is answered with an injected fault.
 * After {@code SendCtrlAltDel} it exits, as Firecracker does when its guest answers with a reboot.
 */
public final class FakeFirecracker {
    /** Allowed and required fields per endpoint, from the swagger definitions. */
    private record Schema(Set<String> allowed, Set<String> required) {
    }

    private static final Map<String, Schema> SCHEMAS = Map.of(
            "PUT /machine-config", new Schema(Set.of("cpu_template", "smt", "mem_size_mib", "track_dirty_pages",
                    "vcpu_count", "huge_pages"), Set.of("mem_size_mib", "vcpu_count")),
            "PUT /boot-source", new Schema(Set.of("boot_args", "initrd_path", "kernel_image_path"),
                    Set.of("kernel_image_path")),
            "PUT /drives/{id}", new Schema(Set.of("drive_id", "partuuid", "is_root_device", "cache_type",
                    "is_read_only", "path_on_host", "rate_limiter", "io_engine", "socket"),
                    Set.of("drive_id", "is_root_device")),
            "PUT /network-interfaces/{id}", new Schema(Set.of("guest_mac", "host_dev_name", "iface_id", "mtu",
                    "rx_rate_limiter", "tx_rate_limiter"), Set.of("host_dev_name", "iface_id")),
            "PUT /entropy", new Schema(Set.of("rate_limiter"), Set.of()),
            "PUT /vsock", new Schema(Set.of("guest_cid", "uds_path", "vsock_id"), Set.of("guest_cid", "uds_path")),
            "PUT /actions", new Schema(Set.of("action_type"), Set.of("action_type")),
            "PATCH /vm", new Schema(Set.of("state"), Set.of("state")),
            "PUT /snapshot/create", new Schema(FakeSnapshots.CREATE_FIELDS, Set.of("mem_file_path", "snapshot_path")),
            "PUT /snapshot/load", new Schema(FakeSnapshots.LOAD_FIELDS, Set.of("snapshot_path")));

    /** The guest port whose CONNECT the fake vsock accepts (the guest agent's). */
    private static final int AGENT_PORT = FirecrackerHypervisor.AGENT_PORT;
    private final Path log;
    private final Path faultFile;
    /** Under the stand-in jailer: the jail's root, where every file named through the API must be. */
    private final java.util.Optional<Path> jail;
    private final Set<String> configured = new HashSet<>();
    private boolean started;
    private boolean paused;
    /** The vsock's socket as the microVM names it (a snapshot records it). */
    private String vsockPath = "";
    private boolean guestRebooted;
    private final FakeSnapshots snapshots;

    private FakeFirecracker(Path socket, java.util.Optional<Path> jail) {
        this.log = socket.resolveSibling("fake-requests.log");
        this.faultFile = socket.resolveSibling("fake-fault");
        this.jail = jail;
        this.snapshots = new FakeSnapshots(jail);
    }

    /** Serves as a jailed Firecracker whose "/" is {@code root} (FakeJailer): the socket and files are inside it. */
    static void jailed(Path root, String socketInJail) throws IOException {
        serve(root.resolve(socketInJail.substring(1)), java.util.Optional.of(root));
    }

    public static void main(String[] args) throws IOException {
        List<String> a = List.of(args);
        int i = a.indexOf("--api-sock");
        if (i < 0 || i + 1 >= a.size() || !a.contains("--id")) {
            System.err.println("usage: firecracker --api-sock PATH --id ID");
            System.exit(1);
        }
        serve(Path.of(a.get(i + 1)), java.util.Optional.empty());
    }

    private static void serve(Path socket, java.util.Optional<Path> jail) throws IOException {
        FakeFirecracker fake = new FakeFirecracker(socket, jail);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            while (true) {
                try (SocketChannel ch = server.accept()) {
                    fake.serve(Channels.newInputStream(ch), Channels.newOutputStream(ch));
                } catch (IOException e) {
                    // a client that only probed the socket
                }
                if (fake.guestRebooted) {
                    System.exit(0);
                }
            }
        }
    }

    private void serve(InputStream in, OutputStream out) throws IOException {
        String requestLine = line(in);
        if (requestLine == null) {
            return;
        }
        int length = 0;
        boolean json = false;
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            String lower = h.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(h.substring(15).trim());
            } else if (lower.startsWith("content-type:") && lower.contains("application/json")) {
                json = true;
            }
        }
        String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        String[] parts = requestLine.split(" ");
        String step = parts[0] + " " + parts[1];
        String violation = check(parts[0], parts[1], json, body);
        record((violation == null ? "" : "VIOLATION ") + step + " " + body
                + (violation == null ? "" : " -- " + violation));
        String fault = Files.exists(faultFile) ? Files.readString(faultFile).strip()
                : System.getenv().getOrDefault("FAKE_FC_FAULT", "");
        if (violation != null) {
            respond(out, 400, violation);
        } else if (fault.equals(step)) {
            respond(out, 400, "fault injected at " + step);
        } else {
            // What Firecracker does before it answers: the answer means it is done.
            if (step.equals("PUT /snapshot/create")) {
                snapshots.write(JsonParser.parseString(body).getAsJsonObject(), vsockPath);
            }
            if (step.equals("PUT /snapshot/load")) {
                FakeVsock.serve(snapshots.vsockOf(JsonParser.parseString(body).getAsJsonObject()), AGENT_PORT);
            }
            if (step.equals("PUT /vsock")) {
                vsockPath = JsonParser.parseString(body).getAsJsonObject().get("uds_path").getAsString();
                FakeVsock.serve(jail.map(j -> j.resolve(vsockPath.substring(1))).orElse(Path.of(vsockPath)), AGENT_PORT);
            }
            guestRebooted = step.equals("PUT /actions") && body.contains("\"SendCtrlAltDel\"");
            respond(out, 204, null);
        }
    }

    /** Jailed, a path resolves inside the jail's root (where the jailer chrooted); else any path goes. */
    private boolean inJail(String path) {
        return jail.isEmpty() || path.startsWith("/") && Files.isRegularFile(jail.get().resolve(path.substring(1)));
    }

    private String check(String method, String path, boolean json, String body) {
        String key = method + " " + path.replaceAll("^/(drives|network-interfaces)/[^/]+$", "/$1/{id}");
        Schema schema = SCHEMAS.get(key);
        if (schema == null) {
            return "Invalid request method and/or path: " + method + " " + path;
        }
        if (!json) {
            return "Content-Type must be application/json";
        }
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(body);
            if (!e.isJsonObject()) {
                return "body must be a JSON object";
            }
            o = e.getAsJsonObject();
        } catch (RuntimeException e) {
            return "malformed JSON";
        }
        for (String f : o.keySet()) {
            if (!schema.allowed().contains(f)) {
                return "unknown field `" + f + "`";
            }
        }
        for (String f : schema.required()) {
            if (!o.has(f)) {
                return "missing field `" + f + "`";
            }
        }
        String typeError = types(key, path, o);
        if (typeError != null) {
            return typeError;
        }
        if (key.equals("PUT /snapshot/create")) {
            return snapshots.create(o, started, paused);
        }
        if (key.equals("PUT /snapshot/load")) {
            String refused = snapshots.load(o, started, !configured.isEmpty());
            if (refused == null) {
                started = true;
                paused = !(o.has("resume_vm") && o.get("resume_vm").getAsBoolean());
            }
            return refused;
        }
        if (key.equals("PATCH /vm") && started) {
            paused = o.get("state").getAsString().equals("Paused");
        }
        // Pre-boot resources cannot change after InstanceStart; the VM state only after it, and
        // Ctrl-Alt-Del goes only to a running guest.
        if (key.equals("PATCH /vm") || key.equals("PUT /actions")
                && o.get("action_type").getAsString().equals("SendCtrlAltDel")) {
            return started ? null : "The requested operation is not supported before starting the microVM.";
        }
        if (started) {
            return "The requested operation is not supported after starting the microVM.";
        }
        if (key.equals("PUT /actions") && o.get("action_type").getAsString().equals("InstanceStart")) {
            if (!configured.contains("PUT /boot-source") || !configured.contains("root drive")) {
                return "Cannot start microvm without kernel configuration and a root drive.";
            }
            started = true;
        }
        configured.add(key);
        if (key.equals("PUT /drives/{id}") && o.get("is_root_device").getAsBoolean()) {
            configured.add("root drive");
        }
        return null;
    }

    private String types(String key, String path, JsonObject o) {
        switch (key) {
            case "PUT /machine-config" -> {
                if (!isInt(o, "vcpu_count") || !isInt(o, "mem_size_mib")) {
                    return "vcpu_count and mem_size_mib must be integers";
                }
                int v = o.get("vcpu_count").getAsInt();
                if (v < 1 || v > 32) {
                    return "vcpu_count must be 1..32";
                }
            }
            case "PUT /boot-source" -> {
                for (String f : List.of("kernel_image_path", "boot_args", "initrd_path")) {
                    if (o.has(f) && !isString(o, f)) {
                        return f + " must be a string";
                    }
                }
                for (String f : List.of("kernel_image_path", "initrd_path")) {
                    if (o.has(f) && !inJail(o.get(f).getAsString())) {
                        return f + " " + o.get(f).getAsString() + " is not a file inside the jail";
                    }
                }
            }
            case "PUT /drives/{id}" -> {
                if (!isString(o, "drive_id") || !o.get("drive_id").getAsString().equals(last(path))) {
                    return "The id from the path does not match the id from the body!";
                }
                if (!isBool(o, "is_root_device") || !isBool(o, "is_read_only") || !isString(o, "path_on_host")) {
                    return "a virtio-block drive needs is_root_device, is_read_only (booleans) and path_on_host";
                }
                if (!inJail(o.get("path_on_host").getAsString())) {
                    return "path_on_host " + o.get("path_on_host").getAsString() + " is not a file inside the jail";
                }
            }
            case "PUT /network-interfaces/{id}" -> {
                if (!isString(o, "iface_id") || !o.get("iface_id").getAsString().equals(last(path))) {
                    return "The id from the path does not match the id from the body!";
                }
                if (!isString(o, "host_dev_name")
                        || (o.has("guest_mac") && !o.get("guest_mac").getAsString()
                        .matches("([0-9a-f]{2}:){5}[0-9a-f]{2}"))) {
                    return "host_dev_name must be a string and guest_mac a MAC address";
                }
            }
            case "PUT /actions" -> {
                if (!isString(o, "action_type") || !Set.of("FlushMetrics", "InstanceStart", "SendCtrlAltDel")
                        .contains(o.get("action_type").getAsString())) {
                    return "unknown action_type";
                }
            }
            case "PUT /vsock" -> {
                if (!isInt(o, "guest_cid") || o.get("guest_cid").getAsInt() < 3 || !isString(o, "uds_path")) {
                    return "guest_cid must be an integer of at least 3 and uds_path a string";
                }
            }
            case "PATCH /vm" -> {
                if (!isString(o, "state") || !Set.of("Paused", "Resumed").contains(o.get("state").getAsString())) {
                    return "state must be Paused or Resumed";
                }
            }
            default -> {
                return null;
            }
        }
        return null;
    }

    private static boolean isInt(JsonObject o, String f) {
        return o.has(f) && o.get(f).isJsonPrimitive() && o.get(f).getAsJsonPrimitive().isNumber()
                && o.get(f).getAsDouble() == Math.rint(o.get(f).getAsDouble());
    }

    private static boolean isString(JsonObject o, String f) {
        return o.has(f) && o.get(f).isJsonPrimitive() && o.get(f).getAsJsonPrimitive().isString();
    }

    private static boolean isBool(JsonObject o, String f) {
        return o.has(f) && o.get(f).isJsonPrimitive() && o.get(f).getAsJsonPrimitive().isBoolean();
    }

    private static String last(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private void record(String line) throws IOException {
        Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static void respond(OutputStream out, int status, String fault) throws IOException {
        String body = fault == null ? "" : "{\"fault_message\":\"" + fault.replace("\"", "'") + "\"}";
        String reason = status == 204 ? "No Content" : "Bad Request";
        out.write(("HTTP/1.1 " + status + " " + reason + "\r\nServer: Firecracker API\r\nConnection: keep-alive\r\n"
                + (body.isEmpty() ? "" : "Content-Type: application/json\r\n")
                + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.US_ASCII);
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }
}
