package io.scalebox.host;

import java.util.concurrent.CountDownLatch;

/**
 * One step run on its own short-lived daemon thread while the caller goes on: start-up steps
 * overlap instead of queueing (most wait on a child process: {@code cp}, {@code nft},
 * {@code systemctl}; the HTTP server's warm-up loads classes). {@link #join} gives the result,
 * or throws what the step threw.
 *
 * @param <T> the result
 * @param <E> the checked exception the step may throw
 */
public final class Background<T, E extends Exception> {
    /** A step that may throw {@code E}. */
    @FunctionalInterface
    public interface Step<T, E extends Exception> {
        T run() throws E;
    }

    private final CountDownLatch done = new CountDownLatch(1);
    private volatile T result;
    private volatile Throwable failure;

    private Background() {
    }

    /** One daemon thread of that name for periodic work (it never keeps the JVM alive). */
    public static java.util.concurrent.ScheduledExecutorService scheduler(String name) {
        return java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    public static <T, E extends Exception> Background<T, E> start(String name, Step<T, E> step) {
        Background<T, E> b = new Background<>();
        Thread t = new Thread(() -> {
            try {
                b.result = step.run();
            } catch (Throwable e) {
                b.failure = e;
            } finally {
                b.done.countDown();
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return b;
    }

    /** Waits for the step; rethrows its exception as it was thrown. */
    @SuppressWarnings("unchecked")
    public T join() throws E {
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable f = failure;
        if (f instanceof RuntimeException r) {
            throw r;
        }
        if (f instanceof Error err) {
            throw err;
        }
        if (f != null) {
            throw (E) f; // the step's signature allows only E besides unchecked ones
        }
        return result;
    }
}
