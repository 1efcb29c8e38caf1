package io.scalebox.daemon;

import io.scalebox.host.Command;
import io.scalebox.host.CommandException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The API's listening socket under systemd: {@code scaleboxd.socket} holds it while the daemon
 * restarts and hands it over as standard input. Its address comes from API_BIND and API_PORT
 * through {@code scalebox-generator}, which systemd runs at boot and at every daemon-reload;
 * when the configuration has changed since, the daemon has systemd read it again and restart
 * the socket, which restarts the daemon on the new address.
 */
final class ApiSocket {
    private static final Logger LOG = LogManager.getLogger(ApiSocket.class);
    static final String UNIT = "scaleboxd.socket";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private ApiSocket() {
    }

    /**
     * The socket systemd holds for the API, if it passed one: where the configuration says, or
     * moved there (then systemd restarts the daemon: {@link Moving}), or else none (then the
     * daemon binds the configured address itself).
     */
    static Optional<ServerSocketChannel> take(String bind, int port) throws IOException {
        Optional<ServerSocketChannel> socket = inherited();
        if (socket.isEmpty() || listensOn(socket.get(), bind, port)) {
            return socket;
        }
        if (follow(socket.get(), bind, port)) {
            throw new Moving();
        }
        socket.get().close();
        return Optional.empty();
    }

    /** systemd restarts the API socket on the configured address, and this daemon with it. */
    static final class Moving extends IOException {
        Moving() {
            super("the API socket moves to the configured address; systemd restarts scaleboxd");
        }
    }

    /** The listening socket systemd passed as standard input, if it did. */
    static Optional<ServerSocketChannel> inherited() {
        try {
            Channel c = System.inheritedChannel();
            return c instanceof ServerSocketChannel s ? Optional.of(s) : Optional.empty();
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code socket} listens on {@code bind}:{@code port} (literal addresses, as the configuration has them). */
    static boolean listensOn(ServerSocketChannel socket, String bind, int port) {
        try {
            InetSocketAddress a = (InetSocketAddress) socket.getLocalAddress();
            return a.getPort() == port && a.getAddress().equals(InetAddress.getByName(bind));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The socket systemd holds is not where the configuration says (API_BIND or API_PORT changed
     * after the last daemon-reload): systemd regenerates the socket's address and restarts the
     * socket, and this daemon with it. True when that is under way (the daemon must then wait to
     * be stopped, binding nothing); false when systemd's socket still does not listen there
     * (no generator), and the daemon binds the configured address itself.
     */
    private static boolean follow(ServerSocketChannel socket, String bind, int port) {
        String wanted = (bind.contains(":") ? "[" + bind + "]" : bind) + ":" + port;
        String held = address(socket);
        try {
            Command.run(List.of("systemctl", "daemon-reload"), TIMEOUT);
            String listen = Command.run(List.of("systemctl", "show", "-p", "Listen", "--value", UNIT), TIMEOUT);
            if (!listen.contains(wanted)) {
                LOG.error("{} listens on {} although API_BIND/API_PORT say {} (is scalebox-generator installed?): "
                        + "binding {} here; restarts refuse connections until the socket is fixed", UNIT, held, wanted,
                        wanted);
                return false;
            }
            LOG.warn("{} listened on {}, the configuration says {}: restarting the socket, and scaleboxd with it",
                    UNIT, held, wanted);
            Command.run(List.of("systemctl", "--no-block", "restart", UNIT), TIMEOUT);
            return true;
        } catch (CommandException e) {
            LOG.error("cannot move {} from {} to {}: {}; binding {} here", UNIT, held, wanted, e.getMessage(), wanted);
            return false;
        }
    }

    private static String address(ServerSocketChannel socket) {
        try {
            return String.valueOf(socket.getLocalAddress());
        } catch (IOException e) {
            return "?";
        }
    }
}
