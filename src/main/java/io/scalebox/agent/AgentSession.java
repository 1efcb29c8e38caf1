package io.scalebox.agent;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One VM's agent: its channel, the connection (opened on demand, dropped after a protocol error
 * or a broken channel), one call at a time with at most {@link #MAX_WAITING} callers waiting
 * behind it, and whether it has answered since the VM started.
 */
public final class AgentSession {
    /** The agent as the API shows it. */
    public enum State {
        /** It answered; exec and files work. */
        ready,
        /** The VM runs, its agent has not answered (yet): booting, or an image without one. */
        connecting,
        /** The VM is not running. */
        unavailable
    }

    static final int MAX_WAITING = 16;
    private final AgentChannel channel;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final AtomicInteger waiting = new AtomicInteger();
    private AgentClient client;
    private volatile State state = State.connecting;
    private volatile boolean closed;
    /** It has answered since the VM started: a failure now is the agent's, not a boot still under way. */
    private volatile boolean answered;
    private volatile AgentException lastFailure;

    /** Whether an agent could ever answer on this channel (see {@link AgentChannel#exists}). */
    boolean channelExists() {
        return channel.exists();
    }

    AgentSession(AgentChannel channel) {
        this.channel = channel;
    }

    public State state() {
        return closed ? State.unavailable : state;
    }

    /**
     * One command, after the calls before it; throws BUSY when too many wait, TIMEOUT when the
     * turn or the answer does not come in {@code timeout}.
     */
    public JsonElement call(String command, JsonObject arguments, Duration timeout) throws AgentException {
        if (waiting.incrementAndGet() > MAX_WAITING + 1) {
            waiting.decrementAndGet();
            throw new AgentException(AgentException.Kind.BUSY, "too many calls wait for this VM's agent");
        }
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            if (!lock.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new AgentException(AgentException.Kind.TIMEOUT, "the agent is busy with other calls");
            }
            try {
                Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
                JsonElement answer = open(left).call(command, arguments, left);
                state = State.ready;
                answered = true;
                return answer;
            } catch (AgentException e) {
                lastFailure = e;
                if (client != null && client.broken()) {
                    client.close();
                    client = null;
                }
                if (e.kind() != AgentException.Kind.FAILED && e.kind() != AgentException.Kind.DISABLED) {
                    state = State.connecting;
                }
                throw e;
            } finally {
                lock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException(AgentException.Kind.TIMEOUT, "interrupted");
        } finally {
            waiting.decrementAndGet();
        }
    }

    boolean answered() {
        return answered;
    }

    /** Why the last call failed (what a caller that cannot wait is told). */
    AgentException lastFailure() {
        return lastFailure != null ? lastFailure
                : new AgentException(AgentException.Kind.UNAVAILABLE, "the agent has not answered");
    }

    /** Whether the agent answers now (a ping); updates {@link #state}. */
    public boolean probe(Duration timeout) {
        try {
            call("guest-ping", null, timeout);
            return true;
        } catch (AgentException e) {
            return false;
        }
    }

    private AgentClient open(Duration timeout) throws AgentException {
        if (closed) {
            throw new AgentException(AgentException.Kind.UNAVAILABLE, "the VM is not running");
        }
        if (client == null) {
            try {
                client = new AgentClient(new AgentWire(channel.open(timeout)));
            } catch (AgentException e) {
                throw e;
            } catch (IOException e) {
                throw new AgentException(AgentException.Kind.UNAVAILABLE, "cannot reach the agent: " + e.getMessage());
            }
        }
        return client;
    }

    /**
     * An answer came through whole but says what no agent would (a pid that is no number, a read
     * longer than asked): the connection goes as after a broken frame.
     */
    void distrust() {
        lock.lock();
        try {
            if (client != null) {
                client.close();
                client = null;
            }
            state = State.connecting;
        } finally {
            lock.unlock();
        }
    }

    /** The VM stopped: the connection goes, calls fail at once. */
    public void close() {
        closed = true;
        lock.lock();
        try {
            if (client != null) {
                client.close();
                client = null;
            }
        } finally {
            lock.unlock();
        }
    }
}
