package io.scalebox.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The clean-stop logic on a fake clock: sleeping advances it, nothing really waits. */
class GuestShutdownTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final GuestShutdown shutdown = new GuestShutdown(now::get, ms -> now.addAndGet(ms * 1_000_000));
    private final AtomicInteger requests = new AtomicInteger();

    private long requestedAt = -1;

    private void request() {
        requests.incrementAndGet();
        requestedAt = now.get();
    }

    /** A guest that exits {@code afterMillis} after the request. */
    private BooleanSupplier exitsAfter(long afterMillis) {
        return () -> requestedAt < 0 || now.get() - requestedAt < afterMillis * 1_000_000;
    }

    @Test
    void guestThatPowersOffIsCleanAndTimed() {
        GuestShutdown.Outcome o = shutdown.attempt(this::request, exitsAfter(2_400),
                Duration.ofSeconds(30));
        assertTrue(o.clean());
        assertEquals(1, requests.get());
        assertTrue(o.millis() >= 2_400 && o.millis() < 2_600, "took " + o.millis());
        assertEquals("vm-1: guest powered off by itself in 2.4 s", o.describe("vm-1"));
    }

    @Test
    void guestThatIgnoresTheRequestIsReportedAfterTheTimeout() {
        GuestShutdown.Outcome o = shutdown.attempt(this::request, () -> true, Duration.ofSeconds(30));
        assertFalse(o.clean());
        assertEquals(1, requests.get(), "asked once");
        assertTrue(o.millis() >= 30_000 && o.millis() < 30_200, "waited " + o.millis());
        assertEquals("vm-1: guest did not power off within 30 s; forcing it off", o.describe("vm-1"));
    }

    @Test
    void processAlreadyGoneIsNotAsked() {
        GuestShutdown.Outcome o = shutdown.attempt(this::request, () -> false, Duration.ofSeconds(30));
        assertTrue(o.clean());
        assertEquals(0, requests.get());
        assertEquals(0, o.millis());
    }

    @Test
    void failedRequestIsForcedAtOnceWithTheReason() {
        GuestShutdown.Outcome o = shutdown.attempt(() -> {
            throw new HypervisorException("QMP connection refused");
        }, () -> true, Duration.ofSeconds(30));
        assertFalse(o.clean());
        assertEquals(0, o.millis(), "no waiting when the guest could not be asked");
        assertEquals("vm-1: cannot ask the guest to power off (QMP connection refused); forcing it off",
                o.describe("vm-1"));
    }

    @Test
    void requestFailingBecauseTheProcessJustExitedIsClean() {
        boolean[] alive = {true};
        GuestShutdown.Outcome o = shutdown.attempt(() -> {
            alive[0] = false;
            throw new HypervisorException("QMP connection closed");
        }, () -> alive[0], Duration.ofSeconds(30));
        assertTrue(o.clean());
    }
}
