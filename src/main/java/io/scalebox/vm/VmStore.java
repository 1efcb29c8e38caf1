package io.scalebox.vm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The per-VM directories under {@code DATA_DIR/vms}: records written atomically (temp, fsync, rename). */
public final class VmStore {
    private static final String DISK = "rootfs.ext4";
    static final String RECORD = "vm.json";
    static final String DELETING = "deleting";
    static final String STATE = "state";
    private final Path root;

    public VmStore(Path root) {
        this.root = root;
    }

    /** A VM's disk image, in its directory. */
    public Path disk(String id) {
        return dir(id).resolve(DISK);
    }

    public Path dir(String id) {
        return root.resolve(id);
    }

    /** Where a paused VM's memory and devices are saved (the daemon's alone, 0700). */
    Path stateDir(String id) {
        return dir(id).resolve(STATE);
    }

    /** Removes a VM's saved state (spent by a resume, discarded, or of a pause that failed). */
    void deleteState(String id) throws IOException {
        deleteTree(stateDir(id));
    }

    public void save(Vm vm) throws IOException {
        Path dir = dir(vm.id());
        Path tmp = dir.resolve(RECORD + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(VmRecord.format(vm).getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(RECORD), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // the rename itself survives a crash
        }
    }

    /** Marks a delete as under way: one cut short (crash) is finished at the next start, never undone. */
    public void markDeleting(String id) throws IOException {
        Path marker = dir(id).resolve(DELETING);
        if (!Files.exists(marker)) {
            Files.createFile(marker);
        }
    }

    /** Every directory under vms/ (a record moved aside as corrupt keeps its directory for the operator). */
    public List<StoredVm> loadAll() throws IOException {
        List<StoredVm> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path d : dirs) {
                Path f = d.resolve(RECORD);
                if (!Files.exists(f)) {
                    if (!quarantined(d)) {
                        out.add(new StoredVm.Missing(d));
                    }
                    continue;
                }
                out.add(load(d, f));
            }
        }
        return out;
    }

    private static StoredVm load(Path dir, Path record) {
        try {
            String text = Files.readString(record, StandardCharsets.UTF_8);
            Vm vm = VmRecord.parse(text);
            if (!vm.id().equals(dir.getFileName().toString())) {
                return new StoredVm.Corrupt(dir, "corrupt record (id " + vm.id() + " in another VM's directory)");
            }
            // This version would write the same VM differently: an earlier version's format.
            return new StoredVm.Found(dir, vm, Files.exists(dir.resolve(DELETING)), !VmRecord.format(vm).equals(text));
        } catch (IllegalArgumentException | IOException e) {
            return new StoredVm.Corrupt(dir, "corrupt record (" + e.getMessage() + ")");
        }
    }

    /** Moves a corrupt record aside to {@code vm.json.corrupt-<millis>}; returns where. */
    public Path quarantine(Path dir, long nowMillis) throws IOException {
        Path aside = dir.resolve(RECORD + ".corrupt-" + nowMillis);
        if (Files.exists(dir.resolve(RECORD))) {
            Files.move(dir.resolve(RECORD), aside);
        }
        return aside;
    }

    private static boolean quarantined(Path dir) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, RECORD + ".corrupt-*")) {
            return s.iterator().hasNext();
        }
    }

    public void deleteDir(String id) throws IOException {
        deleteTree(dir(id));
    }

    /** Removes {@code dir} and all below it (links themselves, never what they point to); none: nothing. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
