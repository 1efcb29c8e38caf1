package io.scalebox.host;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * A connection from the root daemon to a socket in a VM's control directory (QMP, Firecracker's
 * API, the guest agent's port). The directory belongs to the hypervisor's account, so a VMM
 * taken over by its guest could put a link to another service's socket there, or swap one in
 * between a check and the connect: only a socket itself is accepted, and the process at the other
 * end must run as the account that owns the directory (SO_PEERCRED, checked after connecting).
 * A {@link #bounded} connection is closed at its deadline, so a hung VMM cannot hold a daemon thread.
 */
public final class ControlSocket implements AutoCloseable {
    private static final ScheduledExecutorService DEADLINES = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "control-socket-deadlines");
        t.setDaemon(true);
        return t;
    });
    private final SocketChannel channel;
    private final ScheduledFuture<?> deadline;

    private ControlSocket(SocketChannel channel, Duration limit) {
        this.channel = channel;
        this.deadline = DEADLINES.schedule(this::close, limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A connection closed after {@code limit} whatever it is doing (reads then fail). */
    public static ControlSocket bounded(Path socket, Duration limit) throws IOException {
        return new ControlSocket(connect(socket), limit);
    }

    public SocketChannel channel() {
        return channel;
    }

    /** Connects, refusing a link and a peer that is not the control directory's owner. */
    public static SocketChannel connect(Path socket) throws IOException {
        if (Files.isSymbolicLink(socket)) {
            throw new IOException(socket + " is a symbolic link, not the hypervisor's socket");
        }
        String owner = Files.getOwner(socket.getParent()).getName();
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (!peer.user().getName().equals(owner)) {
                throw new IOException(socket + " is served by " + peer.user().getName() + ", not by " + owner
                        + " whose directory it is in");
            }
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public void close() {
        deadline.cancel(false);
        try {
            channel.close();
        } catch (IOException e) {
            // closed either way
        }
    }
}
