package io.scalebox.forwarder;

import java.io.IOException;
import java.nio.file.Path;

/** How a forwarder generation is started and ended: a process of its own ({@link ForwarderProcess}), a thread in tests. */
interface ForwarderStarter {
    void start(String generation) throws IOException;

    /** Whether it still runs (a start that failed is seen at once, not after a timeout). */
    boolean running(String generation);

    /** Its control socket. */
    Path socket(String generation);

    /** Ends one that no longer answers, and removes its socket. */
    void end(String generation);
}
