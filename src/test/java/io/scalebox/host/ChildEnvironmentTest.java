package io.scalebox.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Children see PATH and LC_ALL, nothing of the daemon's environment (which holds the token). */
class ChildEnvironmentTest {
    @Test
    void hostToolsGetOnlyTheMinimalEnvironment() throws Exception {
        String env = Command.run(List.of("env"), Duration.ofSeconds(10));
        assertEquals(List.of("LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
                Arrays.stream(env.strip().split("\n")).sorted().toList());
    }
}
