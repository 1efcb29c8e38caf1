package io.scalebox.vm;

import org.apache.logging.log4j.LogManager;

/**
 * Named points in create, delete and snapshot where tests make the engine fail. In the daemon
 * only {@link #fromEnvironment}: with SCALEBOX_TEST_CRASH_AT=<point> it halts there exactly as
 * if killed with SIGKILL (no hooks, no cleanup); production never sets the variable. Unit
 * tests throw instead, to check what a failure at each point leaves.
 */
@FunctionalInterface
public interface FaultPoints {
    void reach(String point);

    static FaultPoints none() {
        return point -> {
        };
    }

    static FaultPoints fromEnvironment() {
        String at = System.getenv("SCALEBOX_TEST_CRASH_AT");
        if (at == null || at.isEmpty()) {
            return none();
        }
        return point -> {
            if (point.equals(at)) {
                LogManager.getLogger(FaultPoints.class).error("test crash point {} reached: halting", point);
                LogManager.shutdown();
                Runtime.getRuntime().halt(137);
            }
        };
    }
}
