package io.scalebox.storage;

import io.scalebox.host.Command;
import io.scalebox.host.CommandException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Bytes a sparse disk image really occupies (what {@code du} shows, not its nominal size).
 * Java cannot read a file's block count, so one {@code du} reads all disks; its answer is
 * kept for a while so that a scrape every second does not start a process every second.
 */
public final class AllocatedBytes {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private final Duration maxAge;
    private final Clock clock;
    private Map<Path, Long> last = Map.of();
    private long readAt = Long.MIN_VALUE;

    public AllocatedBytes(Duration maxAge, Clock clock) {
        this.maxAge = maxAge;
        this.clock = clock;
    }

    /** Allocated bytes of each of {@code files} that exists (a recent reading when the set is unchanged). */
    public synchronized Map<Path, Long> of(List<Path> files) {
        long now = clock.millis();
        if (now - readAt < maxAge.toMillis() && last.keySet().containsAll(files)) {
            return last;
        }
        Map<Path, Long> read = new HashMap<>();
        if (!files.isEmpty()) {
            List<String> argv = new ArrayList<>(List.of("du", "--block-size=1", "--"));
            files.forEach(f -> argv.add(f.toString()));
            try {
                // 1: some file vanished (a VM deleted meanwhile); the others are still listed.
                String out = Command.run(argv, null, TIMEOUT, 0, 1);
                for (String line : out.split("\n")) {
                    int tab = line.indexOf('\t');
                    if (tab > 0) {
                        read.put(Path.of(line.substring(tab + 1)), Long.parseLong(line.substring(0, tab)));
                    }
                }
            } catch (CommandException | NumberFormatException e) {
                return Map.of();
            }
        }
        last = Map.copyOf(read);
        readAt = now;
        return last;
    }
}
