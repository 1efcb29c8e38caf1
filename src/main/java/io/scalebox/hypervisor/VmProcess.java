package io.scalebox.hypervisor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A running hypervisor process: its PID, the systemd unit it runs in (if any), and its
 * command line. Liveness checks that the PID's command line ends with the recorded
 * arguments (they name the VM's own socket and disk), so a recycled PID never passes,
 * while a wrapper that execs the binary (setsid, a packaging shim) still does.
 */
public record VmProcess(long pid, Optional<String> unit, String cmdline) {

    public boolean alive() {
        // The command line reads empty for a moment while a wrapper execs the binary.
        for (int attempt = 0; attempt < 10; attempt++) {
            String actual = readCmdline();
            if (actual == null) {
                return false;
            }
            if (!actual.isEmpty()) {
                return matches(actual);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** The process still exists (for a process this daemon has just started itself). */
    public boolean exists() {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The process running as {@code pid} now, recorded with its current command line; empty when there is none. */
    public static Optional<VmProcess> ofPid(long pid) {
        String cmdline = readCmdline(pid);
        return cmdline == null || cmdline.isEmpty() ? Optional.empty()
                : Optional.of(new VmProcess(pid, Optional.empty(), cmdline));
    }

    private String readCmdline() {
        return readCmdline(pid);
    }

    private static String readCmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline")),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }

    private boolean matches(String actual) {
        int firstArg = cmdline.indexOf('\0');
        String args = firstArg < 0 ? cmdline : cmdline.substring(firstArg);
        return actual.equals(cmdline) || args.length() > 1 && actual.endsWith(args);
    }

    /** The command line as /proc shows it: arguments joined by NUL, NUL-terminated. */
    public static String cmdlineOf(java.util.List<String> argv) {
        return String.join("\0", argv) + "\0";
    }
}
