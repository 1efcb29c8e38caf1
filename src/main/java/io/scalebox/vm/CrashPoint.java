package io.scalebox.vm;

import org.apache.logging.log4j.LogManager;

/**
 * Test-only fault injection: with SCALEBOX_TEST_CRASH_AT=<point> in its environment the
 * daemon halts at that point of a create, delete or snapshot exactly as if it had been
 * killed with SIGKILL (no shutdown hooks, no cleanup). The crash-safety tests use it;
 * production never sets the variable.
 */
final class CrashPoint {
    private static final String AT = System.getenv("SCALEBOX_TEST_CRASH_AT");

    private CrashPoint() {
    }

    static void reach(String point) {
        if (point.equals(AT)) {
            LogManager.getLogger(CrashPoint.class).error("test crash point {} reached: halting", point);
            LogManager.shutdown();
            Runtime.getRuntime().halt(137);
        }
    }
}
