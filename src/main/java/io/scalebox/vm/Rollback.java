package io.scalebox.vm;

import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The undo steps of one operation, for try-with-resources: each step that changed something
 * adds its undo; closing without {@link #commit} undoes them newest first, so a failed
 * operation leaves nothing. An undo that fails is logged and the rest still run.
 */
final class Rollback implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(Rollback.class);

    /** One step's undo. */
    @FunctionalInterface
    interface Step {
        void undo() throws Exception;
    }

    private final Deque<Step> steps = new ArrayDeque<>();
    private String vmId = "-";
    private boolean committed;
    private int undone;

    /** Names the VM in the log lines of failed undo steps (a create knows it only after allocation). */
    Rollback forVm(String id) {
        this.vmId = id;
        return this;
    }

    void add(Step step) {
        steps.push(step);
    }

    /** Takes over {@code inner}'s undo steps (a part that succeeded); {@code inner} then undoes nothing. */
    void adopt(Rollback inner) {
        java.util.Iterator<Step> oldestFirst = inner.steps.descendingIterator();
        while (oldestFirst.hasNext()) {
            steps.push(oldestFirst.next());
        }
        inner.steps.clear();
        inner.commit();
    }

    /** The operation succeeded: nothing is undone. */
    void commit() {
        committed = true;
    }

    /** How many steps closing undid (for the failure's log line). */
    int undone() {
        return undone;
    }

    @Override
    public void close() {
        if (committed) {
            return;
        }
        while (!steps.isEmpty()) {
            try {
                steps.pop().undo();
            } catch (Exception e) {
                LOG.error("{}: undo step failed: {}", vmId, e.getMessage());
            }
            undone++;
        }
    }
}
