package io.scalebox.api;

import java.util.Optional;

/**
 * A method and a path pattern such as {@code /vms/{id}/snapshot}; {@code {x}} matches
 * one non-empty path segment, and who may call it. An {@code inline} route is answered on
 * the I/O thread (no hand-over to a worker): only for handlers that never block.
 */
public record Route(String method, String pattern, Access access, Handler handler,
                    Optional<io.undertow.server.HttpHandler> stream, boolean inline, long maxBody, boolean slow) {
    /** The body a route takes unless it says otherwise (api.md: 64 KiB). */
    public static final long BODY = 64 * 1024;

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
        return new Route(method, pattern, Access.TOKEN, handler, Optional.empty(), false, BODY, false);
    }

    public static Route open(String method, String pattern, Handler handler) {
        return new Route(method, pattern, Access.OPEN, handler, Optional.empty(), false, BODY, false);
    }

    /** Read-only figures a monitoring system may fetch with its own token. */
    public static Route metrics(String method, String pattern, Handler handler) {
        return new Route(method, pattern, Access.METRICS, handler, Optional.empty(), false, BODY, false);
    }

    /** An authenticated response that stays open (server-sent events): Undertow's handler takes the exchange. */
    public static Route stream(String method, String pattern, io.undertow.server.HttpHandler stream) {
        return new Route(method, pattern, Access.TOKEN, null, Optional.of(stream), false, BODY, false);
    }

    /** This route answered on the I/O thread: its handler reads memory (or one stat) and never waits. */
    public Route onIoThread() {
        return new Route(method, pattern, access, handler, stream, true, maxBody, slow);
    }

    /** This route takes bodies up to {@code bytes} (a stream route reads them itself). */
    public Route body(long bytes) {
        return new Route(method, pattern, access, handler, stream, inline, bytes, slow);
    }

    /**
     * This route's handler may wait for long (a command in a VM): it runs on a thread of the
     * {@link SlowRequests} pool, not one of the workers that answer everything else.
     */
    public Route slowly() {
        return new Route(method, pattern, access, handler, stream, inline, maxBody, true);
    }

    public boolean open() {
        return access == Access.OPEN;
    }
}
