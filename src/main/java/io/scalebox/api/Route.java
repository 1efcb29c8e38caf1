package io.scalebox.api;

import java.util.Optional;

/**
 * A method and a path pattern such as {@code /vms/{id}/snapshot}; {@code {x}} matches
 * one non-empty path segment, and who may call it. An {@code inline} route is answered on
 * the I/O thread (no hand-over to a worker): only for handlers that never block.
 */
public record Route(String method, String pattern, Access access, Handler handler,
                    Optional<io.undertow.server.HttpHandler> stream, boolean inline) {

    /** Who may call a route. */
    public enum Access {
        /** Anyone (/health, Caddy's certificate check). */
        OPEN,
        /** The API token. */
        TOKEN,
        /** The API token or the read-only METRICS_TOKEN. */
        METRICS
    }

    public static Route authenticated(String method, String pattern, Handler handler) {
        return new Route(method, pattern, Access.TOKEN, handler, Optional.empty(), false);
    }

    public static Route open(String method, String pattern, Handler handler) {
        return new Route(method, pattern, Access.OPEN, handler, Optional.empty(), false);
    }

    /** Read-only figures a monitoring system may fetch with its own token. */
    public static Route metrics(String method, String pattern, Handler handler) {
        return new Route(method, pattern, Access.METRICS, handler, Optional.empty(), false);
    }

    /** An authenticated response that stays open (server-sent events): Undertow's handler takes the exchange. */
    public static Route stream(String method, String pattern, io.undertow.server.HttpHandler stream) {
        return new Route(method, pattern, Access.TOKEN, null, Optional.of(stream), false);
    }

    /** This route answered on the I/O thread: its handler reads memory (or one stat) and never waits. */
    public Route onIoThread() {
        return new Route(method, pattern, access, handler, stream, true);
    }

    public boolean open() {
        return access == Access.OPEN;
    }
}
