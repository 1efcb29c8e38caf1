package io.scalebox.events;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

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
}
