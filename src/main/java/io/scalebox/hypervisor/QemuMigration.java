package io.scalebox.hypervisor;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.scalebox.host.ControlSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import jdk.net.ExtendedSocketOptions;

/**
 * A QEMU VM's memory and device state into a file and back, through QEMU's own migration over
 * Unix sockets in the VM's control directory: QEMU 7.2 has no {@code file:} URI, and its
 * seccomp filter (spawn=deny) forbids {@code exec:}. Saving, the daemon listens and writes what
 * QEMU sends (at most {@code maxBytes}); loading, QEMU listens and the daemon sends the file. The
 * hypervisor never opens the file, and every connection's peer must be the directory's owner.
 */
final class QemuMigration {
    static final String OUT = "migrate-out.sock";
    static final String IN = "migrate-in.sock";
    /** QEMU's default cap is 128 MiB/s; to a local file, as fast as it goes. */
    private static final long BANDWIDTH = 1L << 40;

    private QemuMigration() {
    }

    /** Stops the guest and saves its state to {@code file}; returns the bytes written. QEMU keeps running, stopped. */
    static long save(Path qmpSocket, Path controlDir, Path file, long maxBytes, Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        Path sock = controlDir.resolve(OUT);
        Files.deleteIfExists(sock);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            // QEMU runs as the directory's owner: it may connect, nobody else can reach the directory.
            Files.setOwner(sock, Files.getOwner(controlDir));
            String owner = Files.getOwner(controlDir).getName();
            CompletableFuture<Long> copy = CompletableFuture.supplyAsync(() -> receive(server, owner, file, maxBytes));
            try (Qmp qmp = Qmp.connect(qmpSocket, limit)) {
                qmp.execute("stop");
                prepare(qmp);
                JsonObject to = new JsonObject();
                to.addProperty("uri", "unix:" + sock);
                qmp.call("migrate", to);
                await(qmp, deadline, "the save");
            } catch (IOException e) {
                server.close(); // ends the copy if QEMU never connected
                throw e;
            }
            try {
                return copy.get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw new IOException("writing the state failed: " + e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException e) {
                throw new IOException("writing the state did not end in time");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        } finally {
            Files.deleteIfExists(sock);
        }
    }

    /** Sends {@code file} into a QEMU started with {@code -incoming defer}; it is loaded and paused after. */
    static void load(Path qmpSocket, Path controlDir, Path file, Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        Path sock = controlDir.resolve(IN);
        try (Qmp qmp = Qmp.connect(qmpSocket, limit)) {
            prepare(qmp);
            JsonObject from = new JsonObject();
            from.addProperty("uri", "unix:" + sock);
            qmp.call("migrate-incoming", from);
            try (ControlSocket to = ControlSocket.bounded(sock, limit);
                 InputStream in = Files.newInputStream(file)) {
                OutputStream out = Channels.newOutputStream(to.channel());
                in.transferTo(out);
                to.channel().shutdownOutput();
                // QEMU says "completed" once it has read the stream; before it starts it says "none".
                await(qmp, deadline, "the load");
            }
            for (String status = status(qmp); !status.equals("paused"); status = status(qmp)) {
                if (!status.equals("inmigrate") && !status.equals("postmigrate")) {
                    throw new IOException("after the load QEMU is " + status + ", not paused");
                }
                pause(deadline, "QEMU to leave inmigrate");
            }
        } finally {
            Files.deleteIfExists(sock);
        }
    }

    private static void prepare(Qmp qmp) throws IOException {
        JsonObject events = new JsonObject();
        events.addProperty("capability", "events");
        events.addProperty("state", true);
        JsonArray caps = new JsonArray();
        caps.add(events);
        JsonObject capabilities = new JsonObject();
        capabilities.add("capabilities", caps);
        qmp.call("migrate-set-capabilities", capabilities);
        JsonObject parameters = new JsonObject();
        parameters.addProperty("max-bandwidth", BANDWIDTH);
        qmp.call("migrate-set-parameters", parameters);
    }

    /** Polls query-migrate until it is completed; failed, cancelled or the deadline is an error. */
    private static void await(Qmp qmp, long deadline, String what) throws IOException {
        boolean started = false;
        while (true) {
            JsonElement answer = qmp.call("query-migrate", null);
            JsonObject o = answer.isJsonObject() ? answer.getAsJsonObject() : new JsonObject();
            String status = o.has("status") ? o.get("status").getAsString() : "none";
            switch (status) {
                case "completed" -> {
                    return;
                }
                case "failed", "cancelled" -> throw new IOException(what + " failed: "
                        + (o.has("error-desc") ? o.get("error-desc").getAsString() : status));
                case "none" -> {
                    if (started) {
                        throw new IOException(what + " ended without completing");
                    }
                }
                default -> started = true;
            }
            pause(deadline, what);
        }
    }

    private static String status(Qmp qmp) throws IOException {
        JsonElement s = qmp.call("query-status", null);
        return s.isJsonObject() && s.getAsJsonObject().has("status") ? s.getAsJsonObject().get("status").getAsString()
                : "unknown";
    }

    private static void pause(long deadline, String what) throws IOException {
        if (System.nanoTime() > deadline) {
            throw new IOException(what + " did not end in time");
        }
        ProcessLauncher.sleep(20);
    }

    /** The one connection QEMU makes, written to {@code file} and forced to the disk. */
    private static long receive(ServerSocketChannel server, String owner, Path file, long maxBytes) {
        try (SocketChannel from = server.accept();
             FileChannel to = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            String peer = from.getOption(ExtendedSocketOptions.SO_PEERCRED).user().getName();
            if (!peer.equals(owner)) {
                throw new IOException("the state came from " + peer + ", not from " + owner);
            }
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            long n = 0;
            for (int r = from.read(buf); r >= 0; r = from.read(buf)) {
                n += r;
                if (n > maxBytes) {
                    throw new IOException("the state is over " + maxBytes + " bytes");
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    to.write(buf);
                }
                buf.clear();
            }
            to.force(true);
            return n;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
