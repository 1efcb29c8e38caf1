package io.scalebox.storage;

import io.scalebox.host.Command;
import io.scalebox.host.CommandException;
import io.scalebox.host.HostStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Space on the filesystem of DATA_DIR: what is free, and what files already take (sparse files count what they hold). */
public interface SpaceProbe {
    /** Bytes an unprivileged write could still use on the filesystem holding {@code dir}. */
    long usable(Path dir) throws IOException;

    /** Bytes allocated to the files under {@code dir} (du), 0 when it does not exist. */
    long allocated(Path dir) throws IOException;

    /** The host's: FileStore and du(1). */
    static SpaceProbe host() {
        return new SpaceProbe() {
            @Override
            public long usable(Path dir) throws IOException {
                return Files.getFileStore(HostStats.nearestExisting(dir)).getUsableSpace();
            }

            @Override
            public long allocated(Path dir) throws IOException {
                if (!Files.exists(dir)) {
                    return 0;
                }
                try {
                    String out = Command.run(List.of("du", "-s", "-B1", "--", dir.toString()), Duration.ofSeconds(30));
                    return Long.parseLong(out.strip().split("\\s+")[0]);
                } catch (CommandException | NumberFormatException e) {
                    throw new IOException("cannot measure " + dir + ": " + e.getMessage(), e);
                }
            }
        };
    }
}
