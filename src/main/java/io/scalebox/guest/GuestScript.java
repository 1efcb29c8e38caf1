package io.scalebox.guest;

import io.scalebox.agent.AgentException;
import io.scalebox.agent.GuestAgent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A fixed shell script of Scalebox's run in the guest as root through the agent, with what
 * varies (paths, names, modes) in its environment: qemu-ga writes every command line it runs
 * to the guest's log, never the environment, so nothing of a request stands there.
 * Its output is captured by the agent (small: status lines and error messages).
 */
final class GuestScript {
    /** The environment every script starts with (qemu-ga gives it no other). */
    static final String PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final long POLL_MILLIS = 20;
    /** Scripts are short (a create waits for the clone's identity): its end is seen within 50 ms. */
    private static final long MAX_POLL_MILLIS = 50;

    private GuestScript() {
    }

    /** A script's end: exit status (or the signal that ended it), and what it wrote. */
    record Result(int exitCode, int signal, String out, String err) {
        boolean ok() {
            return exitCode == 0 && signal == 0;
        }
    }

    /** Runs {@code script} with {@code env} and waits for it, at most {@code timeout}. */
    static Result run(GuestAgent agent, String script, Map<String, String> env, Duration timeout) throws AgentException {
        return await(agent, start(agent, script, env), timeout);
    }

    /** Starts {@code script} with {@code env}; returns its guest pid (for {@link #await}). */
    static long start(GuestAgent agent, String script, Map<String, String> env) throws AgentException {
        List<String> vars = new ArrayList<>(List.of(PATH, "LC_ALL=C"));
        env.forEach((k, v) -> vars.add(k + "=" + v));
        return agent.exec("/bin/sh", List.of("-c", script), vars, true);
    }

    /** Waits for a script {@link #start}ed, at most {@code timeout}. */
    static Result await(GuestAgent agent, long pid, Duration timeout) throws AgentException {
        long end = System.nanoTime() + timeout.toNanos();
        long wait = POLL_MILLIS;
        while (true) {
            GuestAgent.Status s = agent.execStatus(pid);
            if (s.exited()) {
                return new Result(s.exitCode().orElse(0), s.signal().orElse(0), text(s.out()), text(s.err()));
            }
            if (System.nanoTime() > end) {
                throw new AgentException(AgentException.Kind.TIMEOUT, "a guest command of Scalebox's took over "
                        + timeout.toSeconds() + " s");
            }
            sleep(wait);
            wait = Math.min(wait * 2, MAX_POLL_MILLIS);
        }
    }

    /** Its output as text (the agent capped it; quote it before it goes into a message). */
    private static String text(byte[] bytes) {
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8).strip();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
