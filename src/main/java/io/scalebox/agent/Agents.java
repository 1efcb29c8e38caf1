package io.scalebox.agent;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The agents of the running VMs: a session per VM from its boot (or the daemon's start) to its
 * halt, and a watch that asks each agent that has not answered yet, once a second, until it
 * does ("vm.agent_ready"), and each ready one every 30 s whether it still does.
 */
public final class Agents {
    private static final Logger LOG = LogManager.getLogger(Agents.class);
    private static final Duration PROBE = Duration.ofSeconds(2);
    private static final long RECHECK_MILLIS = 30_000;
    private final Map<String, AgentSession> sessions = new ConcurrentHashMap<>();
    private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
    private final BiConsumer<String, AgentSession.State> changed;

    /** @param changed told of each VM whose agent became ready (or stopped answering) */
    public Agents(BiConsumer<String, AgentSession.State> changed) {
        this.changed = changed;
    }

    /** The VM runs (booted, or found running at the start): its agent is reached through {@code channel}. */
    public void attach(String vmId, AgentChannel channel) {
        AgentSession old = sessions.put(vmId, new AgentSession(channel));
        if (old != null) {
            old.close();
        }
        lastSeen.remove(vmId);
    }

    /** The VM stopped or is gone. */
    public void detach(String vmId) {
        AgentSession s = sessions.remove(vmId);
        lastSeen.remove(vmId);
        if (s != null) {
            s.close();
        }
    }

    public AgentSession.State state(String vmId) {
        AgentSession s = sessions.get(vmId);
        return s == null ? AgentSession.State.unavailable : s.state();
    }

    public Optional<AgentSession> session(String vmId) {
        return Optional.ofNullable(sessions.get(vmId));
    }

    /**
     * The VM's agent once it answers. One that has not answered since the VM started is waited
     * for, up to {@code patience} (a VM just created is still booting), then UNAVAILABLE; one
     * that answered before and fails now fails at once, with what went wrong.
     */
    public AgentSession ready(String vmId, Duration patience) throws AgentException {
        long end = System.nanoTime() + patience.toNanos();
        long pause = 25; // a restored guest answers at once, a booting one in seconds: look soon, then less often
        while (true) {
            AgentSession s = sessions.get(vmId);
            if (s == null) {
                throw new AgentException(AgentException.Kind.UNAVAILABLE, "the VM is not running");
            }
            if (s.state() == AgentSession.State.ready || s.probe(PROBE)) {
                return s;
            }
            if (s.answered()) {
                throw s.lastFailure();
            }
            if (!s.channelExists()) {
                throw new AgentException(AgentException.Kind.UNAVAILABLE, "the VM's hypervisor has no agent channel");
            }
            if (System.nanoTime() > end) {
                throw new AgentException(AgentException.Kind.UNAVAILABLE,
                        "the VM's agent has not answered (still booting, or an image without qemu-guest-agent)");
            }
            sleep(pause);
            pause = Math.min(pause * 2, 250);
        }
    }

    /** The watch (a scheduler calls it every second): agents that should answer are asked. */
    public void watch() {
        long now = System.currentTimeMillis();
        sessions.forEach((vmId, s) -> {
            AgentSession.State before = s.state();
            if (before == AgentSession.State.ready && now - lastSeen.getOrDefault(vmId, 0L) < RECHECK_MILLIS) {
                return;
            }
            boolean answers = s.probe(PROBE);
            if (answers) {
                lastSeen.put(vmId, now);
            }
            AgentSession.State after = s.state();
            if (after != before && sessions.get(vmId) == s) {
                if (after == AgentSession.State.ready) {
                    LOG.info("{}: its agent answers", vmId);
                } else if (before == AgentSession.State.ready) {
                    LOG.warn("{}: its agent no longer answers", vmId);
                }
                changed.accept(vmId, after);
            }
        });
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
