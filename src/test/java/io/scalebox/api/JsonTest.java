package io.scalebox.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void integralNumbersHaveNoDecimalPoint() {
        assertEquals("{\"a\":10,\"b\":10.5,\"c\":0}", Json.GSON.toJson(Json.object("a", 10.0, "b", 10.5, "c", 0.0)));
    }

    @Test
    void timesKeepMilliseconds() {
        assertEquals("2026-01-20T12:00:00.000Z", Json.time(Instant.parse("2026-01-20T12:00:00Z")));
        assertEquals("2026-01-20T12:00:00.123Z", Json.time(Instant.parse("2026-01-20T12:00:00.123456Z")));
    }

    @Test
    void gigabytesHaveOneDecimal() {
        assertEquals(1.0, Json.gb(1024L * 1024 * 1024));
        assertEquals(12.5, Json.gb(12L * 1024 * 1024 * 1024 + 512L * 1024 * 1024));
    }

    @Test
    void nullsAreKept() {
        java.util.HashMap<String, Object> m = new java.util.HashMap<>();
        m.put("url", null);
        assertEquals("{\"url\":null}", Json.GSON.toJson(m));
        assertEquals("{}", Json.GSON.toJson(Map.of()));
    }
}
