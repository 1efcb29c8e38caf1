package io.scalebox.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.scalebox.hypervisor.GuestShutdown;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VM unit's ExecStop helper against a real process and a QMP socket that behaves like
 * QEMU's: the power button ends the "hypervisor" as a guest powering off would.
 */
class StopVmCommandTest {
    @TempDir
    Path tmp;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void endProcesses() {
        processes.forEach(Process::destroyForcibly);
    }

    private int run(Map<String, String> env, String... args) {
        return StopVmCommand.run(List.of(args), env, GuestShutdown.system(), new PrintStream(out, true),
                new PrintStream(err, true));
    }

    private Process hypervisor() throws Exception {
        Process p = new ProcessBuilder("sleep", "600").start();
        processes.add(p);
        return p;
    }

    @Test
    void powerButtonThatEndsTheProcessIsACleanStop() throws Exception {
        Path dir = tmp.resolve("vm-0123456789ab");
        java.nio.file.Files.createDirectories(dir);
        Process p = hypervisor();
        List<String> commands = new CopyOnWriteArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(dir.resolve("qmp.sock")));
            Thread qemu = new Thread(() -> fakeQmp(server, commands, p));
            qemu.start();
            int code = run(Map.of("MAINPID", String.valueOf(p.pid())), "--hypervisor", "qemu",
                    "--timeout", "60", dir.toString());
            qemu.join(10_000);
            assertEquals(0, code, err.toString());
        }
        assertEquals(List.of("qmp_capabilities", "system_powerdown"), commands);
        String line = out.toString(StandardCharsets.UTF_8).strip();
        assertTrue(line.startsWith("<6>vm-0123456789ab: guest powered off by itself in "), line);
    }

    @Test
    void unreachableControlSocketIsReportedAsForcedWithoutWaiting() throws Exception {
        Process p = hypervisor();
        long start = System.nanoTime();
        int code = run(Map.of("MAINPID", String.valueOf(p.pid())), "--hypervisor", "qemu",
                "--timeout", "600", tmp.resolve("vm-0123456789ab").toString());
        assertEquals(0, code, err.toString());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(300), "did not wait out the timeout");
        String line = out.toString(StandardCharsets.UTF_8).strip();
        assertTrue(line.startsWith("<4>vm-0123456789ab: cannot ask the guest to power off ("), line);
        assertTrue(line.endsWith("; forcing it off"), line);
        assertTrue(p.isAlive(), "the helper never kills: systemd forces what is left");
    }

    @Test
    void withoutMainPidThereIsNothingToStop() {
        assertEquals(0, run(Map.of(), "--hypervisor", "firecracker", "--timeout", "30", "/var/lib/scalebox/vms/vm-x"));
        assertEquals(0, run(Map.of("MAINPID", ""), "--hypervisor", "qemu", "--timeout", "30", "/d/vm-x"));
        assertEquals("", out.toString());
    }

    @Test
    void badArgumentsAreUsageErrors() {
        assertEquals(Main.EXIT_USAGE, run(Map.of(), "--hypervisor", "xen", "--timeout", "30", "/d/vm-x"));
        assertEquals(Main.EXIT_USAGE, run(Map.of(), "--hypervisor", "qemu", "--timeout", "0", "/d/vm-x"));
        assertEquals(Main.EXIT_USAGE, run(Map.of(), "--hypervisor", "qemu", "--timeout", "abc", "/d/vm-x"));
        assertEquals(Main.EXIT_USAGE, run(Map.of(), "--hypervisor", "qemu", "/d/vm-x"));
        assertEquals(Main.EXIT_USAGE, run(Map.of(), "--hypervisor", "qemu", "--timeout", "30", "relative"));
        assertEquals(Main.EXIT_USAGE, run(Map.of(), "--hypervisor", "qemu", "--timeout", "30", "/a", "/b"));
        assertTrue(err.toString().contains("Usage: " + StopVmCommand.USAGE));
    }

    /** Greets, acknowledges each command, and "powers off" (ends the process) on the button. */
    private static void fakeQmp(ServerSocketChannel server, List<String> commands, Process guest) {
        try (SocketChannel ch = server.accept()) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
                    StandardCharsets.UTF_8));
            ch.write(ByteBuffer.wrap("{\"QMP\":{}}\n".getBytes(StandardCharsets.UTF_8)));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String command = line.replaceAll(".*\"execute\":\"([a-z_]+)\".*", "$1");
                commands.add(command);
                ch.write(ByteBuffer.wrap("{\"return\":{}}\n".getBytes(StandardCharsets.UTF_8)));
                if (command.equals("system_powerdown")) {
                    guest.destroy();
                }
            }
        } catch (java.io.IOException e) {
            // the helper closed the connection
        }
    }
}
