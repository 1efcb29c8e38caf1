package io.scalebox.vm;

import io.scalebox.metrics.Metrics;
import java.util.Optional;

/** Runs engine operations counted with their duration and, when one fails, its error code. */
final class OperationMeter {
    private final Metrics metrics;

    OperationMeter(Metrics metrics) {
        this.metrics = metrics;
    }

    /** An engine operation. */
    @FunctionalInterface
    interface Operation<T> {
        T run() throws VmException;
    }

    <T> T measured(String name, Operation<T> op) throws VmException {
        long started = System.nanoTime();
        try {
            T result = op.run();
            metrics.operation(name, System.nanoTime() - started, Optional.empty());
            return result;
        } catch (VmException e) {
            metrics.operation(name, System.nanoTime() - started, Optional.of(e.code().key()));
            throw e;
        } catch (RuntimeException e) {
            metrics.operation(name, System.nanoTime() - started, Optional.of("internal_error"));
            throw e;
        }
    }
}
