package io.scalebox.vm;

import io.scalebox.metrics.Metrics;

/**
 * The steps of a create, named in its error so that a failure says where it happened: a boot
 * (clone, key, boot) or a warm template's restore (clone, restore, identity), then record and
 * network for both.
 */
enum CreatePhase {
    CLONE, KEY, BOOT, RESTORE, IDENTITY, RECORD, NETWORK;

    String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The code of a failure (not the hypervisor's) in this phase; booting fails at the TAP or the proxy. */
    ErrorCode code() {
        return switch (this) {
            case CLONE, KEY -> ErrorCode.DISK_FAILED;
            case BOOT, RESTORE, IDENTITY, NETWORK -> ErrorCode.NETWORK_FAILED;
            case RECORD -> ErrorCode.RECORD_FAILED;
        };
    }

    /** How long each phase of one create took (recorded when it succeeded; phases not entered are not). */
    static final class Clock {
        private final long[] nanos = new long[values().length];
        private final boolean[] entered = new boolean[values().length];
        private CreatePhase current = CLONE;
        private long since = System.nanoTime();

        Clock() {
            entered[CLONE.ordinal()] = true;
        }

        CreatePhase enter(CreatePhase next) {
            long now = System.nanoTime();
            nanos[current.ordinal()] += now - since;
            since = now;
            current = next;
            entered[next.ordinal()] = true;
            return next;
        }

        /** Milliseconds spent in {@code p} so far (a phase being timed counts once left). */
        long millis(CreatePhase p) {
            return nanos[p.ordinal()] / 1_000_000;
        }

        void record(Metrics metrics) {
            enter(current);
            for (CreatePhase p : values()) {
                if (entered[p.ordinal()]) {
                    metrics.createPhase(p.key(), nanos[p.ordinal()]);
                }
            }
        }
    }
}
