package io.scalebox.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A method and a path pattern such as {@code /vms/{id}/snapshot}; {@code {x}} matches
 * one non-empty path segment, and who may call it. An {@code inline} route is answered on
 * the I/O thread (no hand-over to a worker): only for handlers that never block.
 */
public record Route(String method, String pattern, Access access, Handler handler,
                    Optional<io.undertow.server.HttpHandler> stream, boolean inline, List<String> parts) {

    /** Who may call a route. */
    public enum Access {
        /** Anyone (/health, Caddy's certificate check). */
        OPEN,
        /** The API token. */
        TOKEN,
        /** The API token or the read-only METRICS_TOKEN. */
        METRICS
    }

    public Route {
        parts = Router.segments(pattern);
    }

    private Route(String method, String pattern, Access access, Handler handler,
                  Optional<io.undertow.server.HttpHandler> stream) {
        this(method, pattern, access, handler, stream, false, List.of());
    }

    public static Route authenticated(String method, String pattern, Handler handler) {
        return new Route(method, pattern, Access.TOKEN, handler, Optional.empty());
    }

    public static Route open(String method, String pattern, Handler handler) {
        return new Route(method, pattern, Access.OPEN, handler, Optional.empty());
    }

    /** Read-only figures a monitoring system may fetch with its own token. */
    public static Route metrics(String method, String pattern, Handler handler) {
        return new Route(method, pattern, Access.METRICS, handler, Optional.empty());
    }

    /** An authenticated response that stays open (server-sent events): Undertow's handler takes the exchange. */
    public static Route stream(String method, String pattern, io.undertow.server.HttpHandler stream) {
        return new Route(method, pattern, Access.TOKEN, null, Optional.of(stream));
    }

    /** This route answered on the I/O thread: its handler reads memory (or one stat) and never waits. */
    public Route onIoThread() {
        return new Route(method, pattern, access, handler, stream, true, parts);
    }

    public boolean open() {
        return access == Access.OPEN;
    }

    /** Path parameters when {@code path} matches the pattern. */
    Optional<Map<String, String>> match(List<String> segments) {
        if (parts.size() != segments.size()) {
            return Optional.empty();
        }
        Map<String, String> params = Map.of();
        for (int i = 0; i < parts.size(); i++) {
            String p = parts.get(i);
            String s = segments.get(i);
            if (p.startsWith("{") && p.endsWith("}")) {
                if (s.isEmpty()) {
                    return Optional.empty();
                }
                if (params.isEmpty()) {
                    params = new java.util.HashMap<>();
                }
                params.put(p.substring(1, p.length() - 1), s);
            } else if (!p.equals(s)) {
                return Optional.empty();
            }
        }
        return Optional.of(params);
    }
}
