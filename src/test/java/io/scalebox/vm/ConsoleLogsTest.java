package io.scalebox.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console cap on real files, with a writer that keeps appending as a hypervisor does. */
class ConsoleLogsTest {
    @TempDir
    Path vms;

    private final Vm vm = new Vm("vm-0123456789ab", "a", "t", "172.16.0.2", "sbx0123456789", "02:01:23:45:67:89",
            22001, 1, 256, 1, 0, "qemu", Optional.empty(), Optional.empty(), Optional.empty());

    @Test
    void aLogPastHalfTheCapKeepsItsNewestHalfAndStartsAgain() throws Exception {
        Path dir = Files.createDirectories(vms.resolve(vm.id()));
        Path log = dir.resolve("console.log");
        ConsoleLogs logs = new ConsoleLogs(new VmStore(vms), 4096);
        byte[] first = new byte[3000];
        for (int i = 0; i < first.length; i++) {
            first[i] = (byte) ('a' + i % 26);
        }
        try (OutputStream hypervisor = Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            hypervisor.write(first, 0, 2048);
            hypervisor.flush();
            logs.rotate(vm);
            assertEquals(2048, Files.size(log), "at half the cap nothing happens");
            hypervisor.write(first, 2048, 952);
            hypervisor.flush();
            logs.rotate(vm);
            assertEquals(0, Files.size(log));
            assertArrayEquals(Arrays.copyOfRange(first, 3000 - 2048, 3000), Files.readAllBytes(dir.resolve("console.log.1")),
                    "the newest half of the cap moved aside");
            hypervisor.write("after\n".getBytes());
            hypervisor.flush();
        }
        assertEquals("after\n", Files.readString(log), "the appending writer carries on at the new, empty end");
        assertFalse(Files.exists(dir.resolve("console.log.1.tmp")));
    }

    @Test
    void aVmWithoutLogIsLeftAlone() {
        new ConsoleLogs(new VmStore(vms), 4096).rotate(vm);
        assertFalse(Files.exists(vms.resolve(vm.id())));
    }

    @Test
    void theTailSpansTheRotatedFileAndReplacesInvalidBytes() throws Exception {
        Path dir = Files.createDirectories(vms.resolve(vm.id()));
        Files.write(dir.resolve("console.log.1"), "old 1\nold 2\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Files.write(dir.resolve("console.log"), new byte[] {'n', 'e', 'w', (byte) 0xff, '\n'});
        ConsoleLogs logs = new ConsoleLogs(new VmStore(vms), 4096);
        assertEquals("old 1\nold 2\nnew\ufffd\n", logs.tail(vm, 1024));
        assertEquals("2\nnew\ufffd\n", logs.tail(vm, 7), "the newest bytes only");
        assertEquals("", new ConsoleLogs(new VmStore(vms.resolve("none")), 4096).tail(vm, 10), "no log yet");
    }
}
