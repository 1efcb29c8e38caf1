package io.scalebox.guest;

import io.scalebox.agent.AgentException;
import io.scalebox.agent.GuestAgent;
import java.time.Duration;
import java.util.Map;

/**
 * What a warm template's builder guest does before its memory is saved: its boot finishes
 * (systemd's jobs, where it runs; sshd listening), the programs a clone's identity script
 * starts are read once, and what it wrote is synced. The page cache stays in the state: a
 * clone then starts those programs, and sshd's, without reading the disk.
 */
public final class WarmGuest {
    private static final String SCRIPT = """
            set -u
            if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
                timeout "$SB_SECONDS" systemctl is-system-running --wait >/dev/null 2>&1 || true
            fi
            i=0
            while [ ! -e /run/sshd.pid ] && [ "$i" -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
            [ -e /run/sshd.pid ] || { echo "sshd did not start"; exit 3; }
            { perl -e 1; ip -V; rm --version; mkdir --version; chown --version; networkctl --version; } >/dev/null 2>&1
            sync
            """;

    private WarmGuest() {
    }

    /** Waits (at most {@code timeout}) for the guest to settle; throws with the guest's words when it cannot. */
    public static void settle(GuestAgent agent, Duration timeout) throws AgentException {
        GuestScript.Result r = GuestScript.run(agent, SCRIPT, Map.of("SB_SECONDS",
                String.valueOf(Math.max(1, timeout.toSeconds() - 10))), timeout);
        if (!r.ok()) {
            throw new AgentException(AgentException.Kind.FAILED, "the guest did not settle (exit " + r.exitCode()
                    + "): " + AgentException.quote(r.out() + " " + r.err()));
        }
    }
}
