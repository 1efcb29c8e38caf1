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
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline"));
            String actual = new String(raw, StandardCharsets.UTF_8);
            int firstArg = cmdline.indexOf('\0');
            String args = firstArg < 0 ? cmdline : cmdline.substring(firstArg);
            return !actual.isEmpty() && (actual.equals(cmdline) || args.length() > 1 && actual.endsWith(args));
        } catch (IOException e) {
            return false;
        }
    }

    /** The command line as /proc shows it: arguments joined by NUL, NUL-terminated. */
    public static String cmdlineOf(java.util.List<String> argv) {
        return String.join("\0", argv) + "\0";
    }
}
