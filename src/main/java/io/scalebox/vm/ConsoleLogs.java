package io.scalebox.vm;

import io.scalebox.hypervisor.VmSpec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Keeps each VM's console log under CONSOLE_LOG_MAX_KIB: a guest printing to its serial port
 * must not fill DATA_DIR. The hypervisors append to {@code console.log}; when it passes half
 * the cap, its newest half-cap of bytes becomes {@code console.log.1} and it starts again from
 * empty (appending writers carry on at the new end). The two files hold the newest output.
 * Checked every second by the daemon: between checks a file can pass its half by what the
 * guest writes in that second.
 */
final class ConsoleLogs {
    private static final Logger LOG = LogManager.getLogger(ConsoleLogs.class);
    private final VmStore store;
    private final long half;

    ConsoleLogs(VmStore store, long capBytes) {
        this.store = store;
        this.half = capBytes / 2;
    }

    void rotate(Vm vm) {
        Path log = store.dir(vm.id()).resolve(VmSpec.CONSOLE_LOG);
        try {
            long size = Files.size(log);
            if (size <= half) {
                return;
            }
            Path previous = log.resolveSibling(VmSpec.CONSOLE_LOG + ".1");
            Path tmp = log.resolveSibling(VmSpec.CONSOLE_LOG + ".1.tmp");
            try (FileChannel in = FileChannel.open(log, StandardOpenOption.READ);
                 FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         StandardOpenOption.TRUNCATE_EXISTING)) {
                long from = Math.max(0, size - half);
                for (long done = 0; done < size - from; ) {
                    long n = in.transferTo(from + done, size - from - done, out);
                    if (n <= 0) {
                        break;
                    }
                    done += n;
                }
            }
            Files.move(tmp, previous, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            try (FileChannel t = FileChannel.open(log, StandardOpenOption.WRITE)) {
                t.truncate(0);
            }
        } catch (NoSuchFileException e) {
            // not started yet, or deleted meanwhile
        } catch (IOException e) {
            LOG.warn("{}: cannot cut down its console log: {}", vm.id(), e.getMessage());
        }
    }
}
