package io.scalebox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.scalebox.hypervisor.VmProcess;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** vm.json: version 3 round-trips; version 2 and 0.1.0 records load; anything else is corrupt with a reason. */
class VmRecordTest {
    private static final Vm RUNNING = new Vm("vm-0123456789ab", "alpha", "debian-base", "172.16.0.2",
            "sbx0123456789", "02:01:23:45:67:89", 22001, 2, 512, 10, 1764000000123L, "qemu",
            Optional.of("6.12.1-cloud-amd64"), Optional.of(new VmProcess(4242, Optional.of("scalebox-vm-x.service"),
                    "qemu\0-name\0vm-0123456789ab\0")), Optional.empty());

    @Test
    void versionThreeRoundTripsWithStableNames() {
        String text = VmRecord.format(RUNNING);
        for (String name : new String[] {"\"version\": 3", "\"guest_address\"", "\"ssh_port\"", "\"kernel_version\"",
            "\"created_at_millis\"", "\"process\"", "\"pid\": 4242", "\"saved\": null"}) {
            assertTrue(text.contains(name), name + " in " + text);
        }
        assertEquals(RUNNING, VmRecord.parse(text));
        Vm stopped = RUNNING.stopped();
        assertEquals(stopped, VmRecord.parse(VmRecord.format(stopped)));
        assertEquals(Vm.Status.stopped, stopped.status());
        Vm paused = RUNNING.paused(new SavedState("qemu 7.2.19; microvm; tcg; qemu64,-cx16", 123456789, 1764000000999L));
        String pausedText = VmRecord.format(paused);
        assertTrue(pausedText.contains("\"saved_at_millis\": 1764000000999"), pausedText);
        assertEquals(paused, VmRecord.parse(pausedText));
        assertEquals(Vm.Status.paused, paused.status());
        assertEquals(Vm.Status.running, paused.running(RUNNING.process().orElseThrow()).status(),
                "a resumed VM's state is spent");
    }

    @Test
    void versionTwoLoads() {
        String two = VmRecord.format(RUNNING).replace("\"version\": 3", "\"version\": 2").replace(",\n  \"saved\": null", "");
        assertTrue(!two.contains("saved"), two);
        assertEquals(RUNNING, VmRecord.parse(two));
    }

    @Test
    void recordsOf010Load() {
        Vm vm = VmRecord.parse("""
                {"id":"vm-0123456789ab","name":"alpha","template":"debian-base","guestAddress":"172.16.0.2",
                 "tap":"sbx0123456789","mac":"02:01:23:45:67:89","sshPort":22001,"vcpuCount":2,"memSizeMib":512,
                 "diskSizeGib":10,"createdAtMillis":1764000000123,"status":"running","hypervisor":"qemu",
                 "pid":4242,"unit":"scalebox-vm-x.service","cmdline":"qemu\\u0000-name\\u0000vm-0123456789ab\\u0000",
                 "kernelVersion":"6.12.1-cloud-amd64"}
                """);
        assertEquals(RUNNING, vm);
        Vm stopped = VmRecord.parse("""
                {"id":"vm-0123456789ab","name":"alpha","template":"debian-base","guestAddress":"172.16.0.2",
                 "tap":"sbx0123456789","mac":"02:01:23:45:67:89","sshPort":22001,"vcpuCount":2,"memSizeMib":512,
                 "diskSizeGib":10,"createdAtMillis":1764000000123,"status":"stopped","hypervisor":"qemu","pid":0}
                """);
        assertEquals(Vm.Status.stopped, stopped.status());
        assertEquals(Optional.empty(), stopped.kernelVersion());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"id\": broken", "[]", "{}", "{\"version\":4,\"id\":\"vm-0123456789ab\"}",
        "{\"version\":2,\"id\":\"vm-0123456789ab\",\"name\":\"a\"}",
        "{\"id\":\"vm-0123456789ab\",\"name\":\"a\",\"status\":\"paused\"}",
        "{\"version\":2.5}", "{\"version\":\"2\"}"})
    void anythingElseIsCorruptWithAReason(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VmRecord.parse(text));
        assertTrue(!e.getMessage().isBlank());
    }
}
