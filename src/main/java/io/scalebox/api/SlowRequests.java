package io.scalebox.api;

import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads for requests that wait on a guest (a command that runs for up to an hour, a file
 * streaming in or out): at most {@link #MAX} at once, each one made when needed and ended after
 * a minute of idleness, so that they never take the workers that answer the rest of the API.
 * Past the cap a request is refused (503 capacity_requests), never queued without bound. They
 * are not waited for when the daemon stops: a command keeps running in its guest, a transfer breaks.
 */
public final class SlowRequests implements Executor {
    /** Commands the host runs at once (256) and file transfers beside them. */
    static final int MAX = 320;
    private final ThreadPoolExecutor pool;
    private final java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(MAX);

    public SlowRequests() {
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(0, MAX, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "slow-request-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code task} on a thread of its own, or answers 503 when all of them are busy. */
    void dispatch(io.undertow.server.HttpServerExchange exchange, Runnable task) throws ApiException {
        if (!slots.tryAcquire()) {
            throw full();
        }
        exchange.dispatch(this, () -> {
            try {
                task.run();
            } finally {
                slots.release();
            }
        });
    }

    @Override
    public void execute(Runnable task) {
        pool.execute(task); // never rejected: the slots keep the pool below its size
    }

    static ApiException full() {
        return new ApiException(503, "capacity_requests", "Too many long requests under way (" + MAX
                + "); try again shortly");
    }
}
