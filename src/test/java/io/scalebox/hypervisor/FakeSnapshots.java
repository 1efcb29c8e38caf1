package io.scalebox.hypervisor;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * FakeFirecracker's snapshot endpoints, held to the documented API (swagger
 * {@code SnapshotCreateParams}, {@code SnapshotLoadParams}, {@code MemoryBackend}; and
 * docs/snapshotting/snapshot-support.md): a snapshot is created only of a started, paused
 * microVM, and loaded only as a fresh process's first request, from files that exist.
 */
final class FakeSnapshots {
    static final Set<String> CREATE_FIELDS = Set.of("mem_file_path", "snapshot_path", "snapshot_type");
    static final Set<String> LOAD_FIELDS = Set.of("enable_diff_snapshots", "track_dirty_pages", "mem_file_path",
            "mem_backend", "snapshot_path", "resume_vm", "network_overrides", "vsock_override", "clock_realtime");
    private final Optional<Path> jail;

    FakeSnapshots(Optional<Path> jail) {
        this.jail = jail;
    }

    /** Why {@code PUT /snapshot/create} is refused, or null. */
    String create(JsonObject o, boolean started, boolean paused) {
        if (!isString(o, "snapshot_path") || !isString(o, "mem_file_path")) {
            return "snapshot_path and mem_file_path must be strings";
        }
        if (o.has("snapshot_type") && !Set.of("Full", "Diff").contains(string(o, "snapshot_type"))) {
            return "snapshot_type must be Full or Diff";
        }
        if (!started || !paused) {
            return "Cannot create a snapshot of a microVM that is not paused.";
        }
        return null;
    }

    /**
     * Writes the two files, as Firecracker does (relative to the jail's root when jailed); the
     * microVM state names the vsock's socket, which a load makes again there.
     */
    void write(JsonObject o, String vsockPath) throws IOException {
        Files.writeString(file(string(o, "snapshot_path")), "vsock " + vsockPath);
        Files.writeString(file(string(o, "mem_file_path")), "fake guest memory");
    }

    /** The vsock socket a loaded snapshot makes again (as the host sees it). */
    Path vsockOf(JsonObject load) throws IOException {
        return file(Files.readString(file(string(load, "snapshot_path"))).substring("vsock ".length()));
    }

    /** Why {@code PUT /snapshot/load} is refused, or null. */
    String load(JsonObject o, boolean started, boolean configuredAnything) {
        if (started || configuredAnything) {
            return "Loading a microVM snapshot not allowed after configuring boot-specific resources.";
        }
        if (!isString(o, "snapshot_path")) {
            return "snapshot_path must be a string";
        }
        if (o.has("mem_backend") == o.has("mem_file_path")) {
            return "exactly one of mem_backend and mem_file_path must be present";
        }
        String memory;
        if (o.has("mem_backend")) {
            JsonElement b = o.get("mem_backend");
            if (!b.isJsonObject() || !isString(b.getAsJsonObject(), "backend_path")
                    || !isString(b.getAsJsonObject(), "backend_type")
                    || !Set.of("File", "Uffd").contains(string(b.getAsJsonObject(), "backend_type"))
                    || b.getAsJsonObject().keySet().size() != 2) {
                return "mem_backend needs backend_type (File or Uffd) and backend_path";
            }
            memory = string(b.getAsJsonObject(), "backend_path");
        } else {
            memory = string(o, "mem_file_path");
        }
        for (String f : Set.of("resume_vm", "track_dirty_pages", "enable_diff_snapshots", "clock_realtime")) {
            if (o.has(f) && !(o.get(f).isJsonPrimitive() && o.get(f).getAsJsonPrimitive().isBoolean())) {
                return f + " must be a boolean";
            }
        }
        if (!Files.isRegularFile(file(string(o, "snapshot_path"))) || !Files.isRegularFile(file(memory))) {
            return "Cannot open the snapshot's files: No such file or directory";
        }
        return null;
    }

    private Path file(String path) {
        return jail.map(j -> j.resolve(path.substring(1))).orElse(Path.of(path));
    }

    private static boolean isString(JsonObject o, String f) {
        return o.has(f) && o.get(f).isJsonPrimitive() && o.get(f).getAsJsonPrimitive().isString();
    }

    private static String string(JsonObject o, String f) {
        return o.get(f).getAsString();
    }
}
