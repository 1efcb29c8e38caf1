package io.scalebox.hypervisor;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A clean stop: ask the guest to power off, then wait (bounded) for its hypervisor process
 * to exit. What is still running afterwards is the caller's to force. Used by the daemon for
 * the stops it decides and by the VM unit's ExecStop helper for the ones systemd decides
 * (host shutdown, package removal), so both log the same line.
 */
public final class GuestShutdown {
    private static final long POLL_MILLIS = 100;

    /** The request to the guest (QMP power button, Firecracker Ctrl-Alt-Del). */
    @FunctionalInterface
    public interface Request {
        void send() throws HypervisorException;
    }

    /** Waits; the clock and the sleep are parameters so that the logic is tested without waiting. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    /**
     * How a stop ended: {@code clean} when the hypervisor exited by itself, after {@code millis};
     * otherwise {@code problem} says why it must be forced.
     */
    public record Outcome(boolean clean, long millis, Optional<String> problem) {
        /** The one journal line of this stop. */
        public String describe(String vmId) {
            if (clean) {
                return String.format(Locale.ROOT, "%s: guest powered off by itself in %.1f s", vmId,
                        millis / 1000.0);
            }
            return vmId + ": " + problem.orElse("guest did not power off") + "; forcing it off";
        }
    }

    private final LongSupplier nanoTime;
    private final Sleeper sleeper;

    public GuestShutdown(LongSupplier nanoTime, Sleeper sleeper) {
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
    }

    public static GuestShutdown system() {
        return new GuestShutdown(System::nanoTime, Thread::sleep);
    }

    /** Asks once, then polls {@code running} until it is false or {@code timeout} has passed. */
    public Outcome attempt(Request request, BooleanSupplier running, Duration timeout) {
        long start = nanoTime.getAsLong();
        if (!running.getAsBoolean()) {
            return new Outcome(true, 0, Optional.empty());
        }
        try {
            request.send();
        } catch (HypervisorException e) {
            // The process may have exited between the check and the request.
            return running.getAsBoolean()
                    ? new Outcome(false, elapsedMillis(start), Optional.of("cannot ask the guest to power off ("
                            + e.getMessage() + ")"))
                    : new Outcome(true, elapsedMillis(start), Optional.empty());
        }
        long deadline = start + timeout.toNanos();
        while (running.getAsBoolean()) {
            if (nanoTime.getAsLong() - deadline >= 0) {
                return new Outcome(false, elapsedMillis(start), Optional.of("guest did not power off within "
                        + timeout.toSeconds() + " s"));
            }
            try {
                sleeper.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Outcome(false, elapsedMillis(start), Optional.of("interrupted while waiting for the guest"));
            }
        }
        return new Outcome(true, elapsedMillis(start), Optional.empty());
    }

    private long elapsedMillis(long start) {
        return (nanoTime.getAsLong() - start) / 1_000_000;
    }
}
