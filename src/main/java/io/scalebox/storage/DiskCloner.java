package io.scalebox.storage;

import io.scalebox.host.Background;
import io.scalebox.host.Command;
import io.scalebox.host.CommandException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Copies disk images: a copy-on-write clone (reflink: btrfs, XFS) where the filesystem
 * supports it, else a sparse copy. Which one applies is probed once, in the data directory.
 */
public final class DiskCloner {
    /** How images are copied on this filesystem, as /info reports it. */
    public enum Mode {
        REFLINK, COPY;

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static final Duration TIMEOUT = Duration.ofMinutes(30);
    private final Background<Mode, IOException> mode;

    private DiskCloner(Background<Mode, IOException> mode) {
        this.mode = mode;
    }

    /**
     * Probes reflink support with a tiny file in {@code dir}, on its own thread: the probe runs
     * {@code cp} (40-100 ms at start-up), which the daemon's start need not wait for. The
     * first {@link #mode} waits for the answer.
     */
    public static DiskCloner probe(Path dir) {
        return new DiskCloner(Background.start("reflink-probe", () -> probeMode(dir)));
    }

    private static Mode probeMode(Path dir) throws IOException {
        Path a = Files.createTempFile(dir, ".reflink-probe", "");
        Path b = dir.resolve(a.getFileName() + ".clone");
        try {
            Files.write(a, new byte[4096]);
            Command.run(List.of("cp", "--reflink=always", a.toString(), b.toString()), Duration.ofSeconds(10));
            return Mode.REFLINK;
        } catch (CommandException e) {
            return Mode.COPY;
        } finally {
            Files.deleteIfExists(a);
            Files.deleteIfExists(b);
        }
    }

    /** @throws IOException when the probe could not write its file in the directory */
    public Mode mode() throws IOException {
        return mode.join();
    }

    public void copy(Path from, Path to) throws CommandException, IOException {
        Command.run(List.of("cp", mode() == Mode.REFLINK ? "--reflink=always" : "--sparse=always",
                "--", from.toString(), to.toString()), TIMEOUT);
    }
}
