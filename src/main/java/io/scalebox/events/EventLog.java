package io.scalebox.events;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The daemon's recent lifecycle events: appended by the engine, kept in a bounded history (so a
 * client that reconnects with Last-Event-ID gets what it missed, as far back as the history
 * goes, and is told when that is not far enough), and handed to listeners (the SSE stream).
 * With a file ({@link #persistent}) the history and the numbering survive daemon restarts.
 * Publishing never blocks on a listener: a listener must only queue.
 */
public final class EventLog {
    private static final Logger LOG = LogManager.getLogger(EventLog.class);
    public static final int HISTORY = 1000;
    /** The type of the event that tells a resuming client that it missed some. */
    public static final String MISSED = "events.missed";
    private final Deque<Event> history = new ArrayDeque<>();
    private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();
    private final Clock clock;
    private final Optional<EventFile> file;
    private long next;

    private EventLog(Clock clock, Optional<EventFile> file, List<Event> held, long next) {
        this.clock = clock;
        this.file = file;
        this.history.addAll(held);
        this.next = next;
    }

    /** A history in memory only, numbered from 1 (tests, the self-test). */
    public EventLog(Clock clock) {
        this(clock, Optional.empty(), List.of(), 1);
    }

    /**
     * The history kept in {@code path}: numbering goes on after the last event it holds. A file
     * that is missing or holds nothing starts at the clock's milliseconds, above any number an
     * earlier history (lost, or never written) can have reached, so ids never go back.
     */
    public static EventLog persistent(Clock clock, Path path) throws IOException {
        EventFile.Loaded loaded = EventFile.open(path, HISTORY);
        List<Event> held = loaded.events();
        long next = held.isEmpty() ? clock.millis() : held.get(held.size() - 1).id() + 1;
        return new EventLog(clock, Optional.of(loaded.file()), held, next);
    }

    public void publish(String type, String vmId, String vmName, String detail) {
        publishAll(List.of(new Draft(type, vmId, vmName, detail)));
    }

    /** An event to publish: its id and time are given when it is. */
    public record Draft(String type, String vmId, String vmName, String detail) {
    }

    /**
     * Publishes events in order, written through to the history file together (one disk flush
     * for all, e.g. every VM's vm.recovered at the start), before any listener hears of them.
     */
    public void publishAll(List<Draft> drafts) {
        List<Event> made = new ArrayList<>(drafts.size());
        synchronized (this) {
            for (Draft d : drafts) {
                Event e = new Event(next++, clock.instant(), d.type(), Optional.ofNullable(d.vmId()),
                        Optional.ofNullable(d.vmName()), Optional.ofNullable(d.detail()));
                made.add(e);
                history.addLast(e);
                if (history.size() > HISTORY) {
                    history.removeFirst();
                }
            }
            if (file.isPresent() && !made.isEmpty()) {
                try {
                    file.get().append(made, () -> List.copyOf(history));
                } catch (IOException ex) {
                    LOG.error("cannot write events {}..{} to the history file: {}", made.get(0).id(),
                            made.get(made.size() - 1).id(), ex.getMessage());
                }
            }
        }
        for (Event e : made) {
            listeners.forEach(l -> l.accept(e));
        }
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

    /**
     * What a client that last saw {@code lastId} resumes with: the events after it, after an
     * {@link #MISSED} event when some of them are no longer held (or the id is none this history
     * issued: then everything held follows). The {@link #MISSED} event has no number of its own:
     * it carries the one before the oldest held, from which the client goes on.
     */
    public synchronized List<Event> resume(long lastId) {
        long oldest = history.isEmpty() ? next : history.peekFirst().id();
        if (lastId + 1 >= oldest && lastId < next) {
            return since(lastId);
        }
        String gap = lastId < oldest ? (lastId + 1) + "-" + (oldest - 1) : "unknown id " + lastId;
        List<Event> out = new ArrayList<>();
        out.add(new Event(oldest - 1, clock.instant(), MISSED, Optional.empty(), Optional.empty(), Optional.of(gap)));
        out.addAll(since(oldest - 1));
        return out;
    }

    public void listen(Consumer<Event> listener) {
        listeners.add(listener);
    }
}
