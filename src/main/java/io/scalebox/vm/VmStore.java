package io.scalebox.vm;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** The per-VM directories under {@code DATA_DIR/vms}: records written atomically (temp, fsync, rename). */
public final class VmStore {
    static final String RECORD = "vm.json";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();
    private final Path root;

    public VmStore(Path root) {
        this.root = root;
    }

    public Path dir(String id) {
        return root.resolve(id);
    }

    public void save(Vm vm) throws IOException {
        Path dir = dir(vm.id());
        Path tmp = dir.resolve(RECORD + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(GSON.toJson(vm).getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(RECORD), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // the rename itself survives a crash
        }
    }

    static final String DELETING = "deleting";

    /** A record read from disk (and whether a delete of it was under way), or why it could not be. */
    public record Loaded(Path dir, Vm vm, String problem, boolean deleting) {
        Loaded(Path dir, Vm vm, String problem) {
            this(dir, vm, problem, Files.exists(dir.resolve(DELETING)));
        }
    }

    public void markDeleting(String id) throws IOException {
        Path marker = dir(id).resolve(DELETING);
        if (!Files.exists(marker)) {
            Files.createFile(marker);
        }
    }

    /** Every directory under vms/, with its record when it has a valid one. */
    public List<Loaded> loadAll() throws IOException {
        List<Loaded> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path d : dirs) {
                Path f = d.resolve(RECORD);
                if (!Files.exists(f)) {
                    // A record moved aside as corrupt keeps its directory for the operator.
                    if (!quarantined(d)) {
                        out.add(new Loaded(d, null, "no record"));
                    }
                    continue;
                }
                try {
                    Vm vm = GSON.fromJson(Files.readString(f), Vm.class);
                    if (vm == null || vm.id() == null || !vm.id().equals(d.getFileName().toString())
                            || vm.name() == null || vm.status() == null) {
                        out.add(new Loaded(d, null, "corrupt record"));
                    } else {
                        out.add(new Loaded(d, vm, null));
                    }
                } catch (JsonParseException | IOException e) {
                    Throwable cause = e.getCause() != null ? e.getCause() : e;
                    out.add(new Loaded(d, null, "corrupt record (" + cause.getMessage() + ")"));
                }
            }
        }
        return out;
    }

    private static boolean quarantined(Path dir) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, RECORD + ".corrupt-*")) {
            return s.iterator().hasNext();
        }
    }

    public void deleteDir(String id) throws IOException {
        Path dir = dir(id);
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
