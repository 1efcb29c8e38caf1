package io.scalebox.guest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The background commands' records: in memory, and each in {@code vms/<id>/execs/<exec>.json}
 * (written whole, then renamed), so that a restarted daemon follows them on. A VM's records go
 * with its directory: none is written for a VM that is no longer there.
 */
final class ExecRecords {
    private static final Logger LOG = LogManager.getLogger(ExecRecords.class);
    private final Path vmsDir;
    private final Map<String, ExecRecord> records = new ConcurrentHashMap<>();

    ExecRecords(Path vmsDir) {
        this.vmsDir = vmsDir;
    }

    Optional<ExecRecord> get(String execId) {
        return Optional.ofNullable(records.get(execId));
    }

    List<ExecRecord> all() {
        return List.copyOf(records.values());
    }

    /** Records a new command; false when its VM is gone (then nothing is kept). */
    synchronized boolean save(ExecRecord r) throws IOException {
        if (!Files.isDirectory(vmsDir.resolve(r.vmId()))) {
            return false;
        }
        write(r);
        records.put(r.execId(), r);
        return true;
    }

    /**
     * Records a command's change, unless it was forgotten meanwhile (a DELETE); true when it was
     * held. A VM that is gone takes the record with it. An error writing it leaves it changed in memory.
     */
    synchronized boolean update(ExecRecord r) throws IOException {
        if (!records.containsKey(r.execId())) {
            return false;
        }
        if (!Files.isDirectory(vmsDir.resolve(r.vmId()))) {
            records.remove(r.execId());
            return true;
        }
        records.put(r.execId(), r);
        write(r);
        return true;
    }

    private void write(ExecRecord r) throws IOException {
        Path dir = vmsDir.resolve(r.vmId()).resolve("execs");
        Files.createDirectories(dir);
        Path tmp = dir.resolve(r.execId() + ".json.tmp");
        Files.writeString(tmp, r.toJson(), StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(r.execId() + ".json"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    /** Forgets {@code r}; true when it was held. */
    synchronized boolean remove(ExecRecord r) {
        boolean held = records.remove(r.execId()) != null;
        try {
            Files.deleteIfExists(vmsDir.resolve(r.vmId()).resolve("execs").resolve(r.execId() + ".json"));
        } catch (IOException e) {
            LOG.warn("{}: cannot remove the record of command {}: {}", r.vmId(), r.execId(), e.getMessage());
        }
        return held;
    }

    /** The records of these VMs on disk (at the daemon's start); an unreadable one is removed. */
    List<ExecRecord> load(List<String> vmIds) {
        List<ExecRecord> loaded = new ArrayList<>();
        for (String vm : vmIds) {
            Path dir = vmsDir.resolve(vm).resolve("execs");
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "ex-*.json")) {
                for (Path f : files) {
                    try {
                        ExecRecord r = ExecRecord.parse(Files.readString(f, StandardCharsets.UTF_8));
                        if (r.vmId().equals(vm) && Execs.EXEC_ID.matcher(r.execId()).matches()) {
                            records.put(r.execId(), r);
                            loaded.add(r);
                        }
                    } catch (IOException | RuntimeException e) {
                        LOG.error("{}: unreadable command record {}: {}; removed", vm, f.getFileName(), e.getMessage());
                        Files.deleteIfExists(f);
                    }
                }
            } catch (IOException e) {
                LOG.error("{}: cannot read its command records: {}", vm, e.getMessage());
            }
        }
        return loaded;
    }
}
