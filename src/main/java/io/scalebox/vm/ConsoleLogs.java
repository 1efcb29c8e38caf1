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

    /**
     * The newest {@code maxBytes} of the VM's console (the rotated file, then the current one),
     * as text: what the guest printed is hostile bytes, so invalid UTF-8 becomes U+FFFD.
     */
    String tail(Vm vm, int maxBytes) throws IOException {
        Path log = store.dir(vm.id()).resolve(VmSpec.CONSOLE_LOG);
        byte[] current = last(log, maxBytes);
        byte[] previous = current.length < maxBytes
                ? last(log.resolveSibling(VmSpec.CONSOLE_LOG + ".1"), maxBytes - current.length) : new byte[0];
        byte[] all = new byte[previous.length + current.length];
        System.arraycopy(previous, 0, all, 0, previous.length);
        System.arraycopy(current, 0, all, previous.length, current.length);
        return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPLACE)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPLACE)
                .decode(java.nio.ByteBuffer.wrap(all)).toString();
    }

    private static byte[] last(Path file, int maxBytes) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            long from = Math.max(0, size - maxBytes);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) (size - from));
            while (b.hasRemaining() && in.read(b, from + b.position()) > 0) {
                // read on
            }
            return java.util.Arrays.copyOf(b.array(), b.position());
        } catch (NoSuchFileException e) {
            return new byte[0];
        }
    }
}
