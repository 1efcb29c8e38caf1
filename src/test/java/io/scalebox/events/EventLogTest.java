package io.scalebox.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLogTest {
    private final EventLog log = new EventLog(Clock.fixed(Instant.parse("2026-12-02T10:00:00Z"), ZoneOffset.UTC));

    @Test
    void eventsAreNumberedAndResumedAfterAnId() {
        List<Event> heard = new ArrayList<>();
        log.listen(heard::add);
        log.publish("vm.created", "vm-1", "a", "debian-base");
        log.publish("vm.stopped", "vm-1", "a", null);
        log.publish("vm.deleted", "vm-1", "a", null);
        assertEquals(List.of(1L, 2L, 3L), heard.stream().map(Event::id).toList());
        assertEquals(List.of("vm.stopped", "vm.deleted"), log.since(1).stream().map(Event::type).toList());
        assertEquals(List.of(), log.since(3));
        assertEquals(List.of(), log.since(Long.MAX_VALUE));
    }

    @Test
    void theHistoryIsBounded() {
        for (int i = 0; i < EventLog.HISTORY + 10; i++) {
            log.publish("vm.created", "vm-" + i, "n" + i, null);
        }
        List<Event> all = log.since(0);
        assertEquals(EventLog.HISTORY, all.size());
        assertEquals(11L, all.get(0).id(), "the oldest went first");
    }

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-02T10:00:00Z"), ZoneOffset.UTC);

    @Test
    void aBatchIsNumberedInOrderWrittenTogetherAndHeardWhole(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("events.jsonl");
        EventLog log = EventLog.persistent(CLOCK, file);
        List<String> heard = new java.util.ArrayList<>();
        log.listen(e -> {
            try {
                heard.add(e.vmId().orElse("") + " " + Files.readAllLines(file).size());
            } catch (java.io.IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
        });
        log.publishAll(List.of(new EventLog.Draft("vm.recovered", "vm-1", "a", "running"),
                new EventLog.Draft("vm.recovered", "vm-2", "b", "stopped")));
        assertEquals(List.of("vm-1 2", "vm-2 2"), heard, "both lines are on disk before the first is heard");
        long start = CLOCK.millis();
        assertEquals(List.of(start, start + 1), log.since(0).stream().map(Event::id).toList());
        assertEquals(log.since(0), EventLog.persistent(CLOCK, file).since(0));
    }

    @Test
    void aPersistentHistoryGoesOnAcrossRestarts(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("events.jsonl");
        EventLog first = EventLog.persistent(CLOCK, file);
        first.publish("vm.created", "vm-1", "a", "debian-base");
        first.publish("vm.stopped", "vm-1", "a", null);
        long start = CLOCK.millis();
        assertEquals(List.of(start, start + 1), first.since(0).stream().map(Event::id).toList(),
                "a new history starts above any number an earlier, lost one can have reached");

        EventLog restarted = EventLog.persistent(CLOCK, file);
        assertEquals(first.since(0), restarted.since(0), "the same events, fields and all");
        restarted.publish("vm.deleted", "vm-1", "a", null);
        assertEquals(start + 2, restarted.since(start + 1).get(0).id(), "numbering goes on");
        assertEquals(List.of("vm.deleted"), restarted.resume(start + 1).stream().map(Event::type).toList(),
                "a client resuming across the restart misses nothing");
    }

    @Test
    void aClientWhoseLastEventIsNoLongerHeldIsToldSo() {
        for (int i = 0; i < EventLog.HISTORY + 10; i++) {
            log.publish("vm.created", "vm-" + i, "n" + i, null);
        }
        List<Event> resumed = log.resume(5);
        assertEquals(EventLog.MISSED, resumed.get(0).type());
        assertEquals("6-10", resumed.get(0).detail().orElseThrow(), "the ids it can no longer get");
        assertEquals(10L, resumed.get(0).id(), "from which it goes on");
        assertEquals(11L, resumed.get(1).id());
        assertEquals(EventLog.HISTORY + 1, resumed.size());

        List<Event> unknown = log.resume(5000);
        assertEquals(EventLog.MISSED, unknown.get(0).type(), "an id this history never issued");
        assertEquals("unknown id 5000", unknown.get(0).detail().orElseThrow());
        assertEquals(EventLog.HISTORY + 1, unknown.size(), "then everything held");
        assertEquals(List.of(), log.resume(EventLog.HISTORY + 10), "up to date: nothing, and nothing missed");
    }

    @Test
    void theFileIsCompactedAndATornLineSkipped(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("events.jsonl");
        EventLog log = EventLog.persistent(CLOCK, file);
        for (int i = 0; i < 2 * EventLog.HISTORY + 5; i++) {
            log.publish("vm.created", "vm-" + i, "n" + i, null);
        }
        assertTrue(Files.readAllLines(file).size() < 2 * EventLog.HISTORY, "rewritten with the newest");
        Files.writeString(file, "{\"id\": 12, \"ti", java.nio.file.StandardOpenOption.APPEND); // a crash mid-write
        EventLog again = EventLog.persistent(CLOCK, file);
        List<Event> held = again.since(0);
        assertEquals(EventLog.HISTORY, held.size());
        assertEquals(log.since(0), held);
        again.publish("vm.deleted", null, null, null);
        assertEquals(held.get(held.size() - 1).id() + 1, again.since(0).get(EventLog.HISTORY - 1).id());
        assertEquals(again.since(0), EventLog.persistent(CLOCK, file).since(0), "the line after the torn one is whole");
    }
}
