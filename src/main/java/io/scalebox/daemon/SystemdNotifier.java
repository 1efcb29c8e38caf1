package io.scalebox.daemon;

import io.scalebox.host.ChildEnvironment;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Tells systemd about readiness ({@code Type=notify}). Java 17 cannot open the datagram
 * socket in NOTIFY_SOCKET, so this runs {@code systemd-notify --pid=<ours>}, which systemd
 * accepts for the main PID when the notifier runs as root ({@code NotifyAccess=main}).
 */
public final class SystemdNotifier {
    private static final Logger LOG = LogManager.getLogger(SystemdNotifier.class);
    private final String socket;

    public SystemdNotifier(String notifySocket) {
        this.socket = notifySocket;
    }

    public boolean enabled() {
        return socket != null && !socket.isEmpty();
    }

    public void ready(String status) {
        send(List.of("--ready", "STATUS=" + status));
    }

    public void stopping() {
        send(List.of("STOPPING=1"));
    }

    private void send(List<String> fields) {
        if (!enabled()) {
            return;
        }
        List<String> cmd = new ArrayList<>(List.of("systemd-notify", "--pid=" + ProcessHandle.current().pid()));
        cmd.addAll(fields);
        try {
            ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            // Only what systemd-notify needs: not the token systemd put into the daemon's environment.
            ChildEnvironment.applyTo(builder.environment());
            builder.environment().put("NOTIFY_SOCKET", socket);
            Process p = builder.start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                LOG.warn("systemd-notify {} timed out", fields.get(0));
            } else if (p.exitValue() != 0) {
                LOG.warn("systemd-notify {} exited with {}", fields.get(0), p.exitValue());
            }
        } catch (IOException e) {
            LOG.warn("cannot run systemd-notify: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
