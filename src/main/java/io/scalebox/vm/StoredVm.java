package io.scalebox.vm;

import java.nio.file.Path;

/** What a directory under {@code DATA_DIR/vms} holds: a VM, nothing (an interrupted create), or a bad record. */
public sealed interface StoredVm {
    Path dir();

    /**
     * A valid record; {@code deleting}: a delete of it was under way; {@code outdated}: written
     * by an earlier version in another format (rewritten in this version's at the start).
     */
    record Found(Path dir, Vm vm, boolean deleting, boolean outdated) implements StoredVm {
    }

    /** A directory without a record: a create that never got as far as writing one. */
    record Missing(Path dir) implements StoredVm {
    }

    /** A record that cannot be read, and why. */
    record Corrupt(Path dir, String problem) implements StoredVm {
    }
}
