package io.scalebox.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class BackgroundTest {
    @Test
    void joinGivesTheResultOnceTheStepIsDone() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Background<String, InterruptedException> b = Background.start("test-step", () -> {
            release.await();
            return Thread.currentThread().getName();
        });
        release.countDown();
        assertEquals("test-step", b.join());
        assertEquals("test-step", b.join());
    }

    @Test
    void checkedAndUncheckedFailuresComeBackAsThrown() {
        IOException io = new IOException("disk");
        Background<String, IOException> checked = Background.start("io", () -> {
            throw io;
        });
        assertSame(io, assertThrows(IOException.class, checked::join));
        IllegalStateException state = new IllegalStateException("bug");
        Background<String, IOException> unchecked = Background.start("state", () -> {
            throw state;
        });
        assertSame(state, assertThrows(IllegalStateException.class, unchecked::join));
    }
}
