package io.scalebox.events;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The daemon's recent lifecycle events: appended by the engine, kept in a bounded in-memory
 * history (so a client that reconnects with Last-Event-ID gets what it missed, as far back as
 * the history goes), and handed to listeners (the SSE stream). Publishing never blocks on a
 * listener: a listener must only queue.
 */
public final class EventLog {
    public static final int HISTORY = 1000;
    private final Deque<Event> history = new ArrayDeque<>();
    private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();
    private final Clock clock;
    private long next = 1;

    public EventLog(Clock clock) {
        this.clock = clock;
    }

    public void publish(String type, String vmId, String vmName, String detail) {
        Event e;
        synchronized (this) {
            e = new Event(next++, clock.instant(), type, Optional.ofNullable(vmId), Optional.ofNullable(vmName),
                    Optional.ofNullable(detail));
            history.addLast(e);
            if (history.size() > HISTORY) {
                history.removeFirst();
            }
        }
        listeners.forEach(l -> l.accept(e));
    }

    /** Events after {@code lastId} still in the history, oldest first. */
    public synchronized List<Event> since(long lastId) {
        List<Event> out = new ArrayList<>();
        for (Event e : history) {
            if (e.id() > lastId) {
                out.add(e);
            }
        }
        return out;
    }

    public void listen(Consumer<Event> listener) {
        listeners.add(listener);
    }
}
