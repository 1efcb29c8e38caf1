package io.scalebox.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecRecordsTest {
    private static final ExecSpec SPEC = new ExecSpec(List.of("true"), Optional.empty(), Map.of(), Optional.empty(),
            Optional.empty(), Duration.ofSeconds(5), 1024, false, true);

    @Test
    void recordsOutliveTheDaemonAndAChangeIsWrittenThrough(@TempDir Path vms) throws Exception {
        Files.createDirectories(vms.resolve("vm-000000000001"));
        ExecRecords records = new ExecRecords(vms);
        ExecRecord r = ExecRecord.started("ex-000000000001", "vm-000000000001", 42, 1000, 6000, SPEC);
        assertTrue(records.save(r));
        assertTrue(records.update(r.lost(2000)));
        ExecRecords restarted = new ExecRecords(vms);
        assertEquals(List.of(r.lost(2000)), restarted.load(List.of("vm-000000000001")));
        assertEquals(Optional.of(r.lost(2000)), restarted.get("ex-000000000001"));
    }

    @Test
    void aForgottenCommandIsNotWrittenAgain(@TempDir Path vms) throws Exception {
        Files.createDirectories(vms.resolve("vm-000000000001"));
        ExecRecords records = new ExecRecords(vms);
        ExecRecord r = ExecRecord.started("ex-000000000001", "vm-000000000001", 42, 1000, 6000, SPEC);
        records.save(r);
        assertTrue(records.remove(r));
        assertFalse(records.update(r.lost(2000)), "a DELETE came first");
        assertFalse(Files.exists(vms.resolve("vm-000000000001/execs/ex-000000000001.json")));
    }

    @Test
    void aDeletedVmsDirectoryIsNotMadeAgain(@TempDir Path vms) throws Exception {
        ExecRecords records = new ExecRecords(vms);
        ExecRecord r = ExecRecord.started("ex-000000000001", "vm-000000000001", 42, 1000, 6000, SPEC);
        assertFalse(records.save(r));
        Files.createDirectories(vms.resolve("vm-000000000001"));
        records.save(r);
        Files.delete(vms.resolve("vm-000000000001/execs/ex-000000000001.json"));
        Files.delete(vms.resolve("vm-000000000001/execs"));
        Files.delete(vms.resolve("vm-000000000001"));
        assertTrue(records.update(r.lost(2000)), "it was held: its slot is released");
        assertFalse(Files.exists(vms.resolve("vm-000000000001")));
        assertEquals(List.of(), records.all());
    }

    @Test
    void anUnreadableRecordIsRemovedAtLoad(@TempDir Path vms) throws Exception {
        Path dir = Files.createDirectories(vms.resolve("vm-000000000001/execs"));
        Files.writeString(dir.resolve("ex-000000000002.json"), "{not json");
        assertEquals(List.of(), new ExecRecords(vms).load(List.of("vm-000000000001")));
        assertFalse(Files.exists(dir.resolve("ex-000000000002.json")));
    }
}
