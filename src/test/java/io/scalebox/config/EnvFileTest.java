package io.scalebox.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvFileTest {
    @Test
    void readsAssignmentsCommentsQuotesAndLastWins() {
        Map<String, String> m = EnvFile.parse(List.of(
                "# comment", "; also a comment", "", "  API_PORT = 9000 ", "BASE_DOMAIN=\"vms.example.com\"",
                "HOST_IP='203.0.113.9'", "export LOG_LEVEL=debug", "not an assignment", "=novalue",
                "API_PORT=9001", "EMPTY="));
        assertEquals(Map.of("API_PORT", "9001", "BASE_DOMAIN", "vms.example.com", "HOST_IP", "203.0.113.9",
                "LOG_LEVEL", "debug", "EMPTY", ""), m);
    }
}
