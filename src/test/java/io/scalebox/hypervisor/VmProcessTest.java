package io.scalebox.hypervisor;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VmProcessTest {
    @Test
    void liveProcessWithItsRecordedArgumentsIsAlive() throws Exception {
        Process p = new ProcessBuilder("sleep", "30.123").start();
        try {
            assertTrue(new VmProcess(p.pid(), Optional.empty(), VmProcess.cmdlineOf(List.of("sleep", "30.123"))).alive());
            // The binary reached through a wrapper or another path still counts: the arguments decide.
            assertTrue(new VmProcess(p.pid(), Optional.empty(),
                    VmProcess.cmdlineOf(List.of("/usr/bin/sleep", "30.123"))).alive());
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void recycledPidWithOtherArgumentsIsNotAlive() throws Exception {
        Process p = new ProcessBuilder("sleep", "30.456").start();
        try {
            assertFalse(new VmProcess(p.pid(), Optional.empty(),
                    VmProcess.cmdlineOf(List.of("qemu-system-x86_64", "-name", "vm-0123456789ab"))).alive());
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void exitedProcessIsNotAlive() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        assertFalse(new VmProcess(p.pid(), Optional.empty(), VmProcess.cmdlineOf(List.of("true"))).alive());
    }
}
