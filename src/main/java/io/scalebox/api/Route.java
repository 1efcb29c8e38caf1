package io.scalebox.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A method and a path pattern such as {@code /vms/{id}/snapshot}; {@code {x}} matches
 * one non-empty path segment. {@code open} routes need no token.
 */
public record Route(String method, String pattern, boolean open, Handler handler,
                    Optional<io.undertow.server.HttpHandler> stream) {

    public static Route authenticated(String method, String pattern, Handler handler) {
        return new Route(method, pattern, false, handler, Optional.empty());
    }

    public static Route open(String method, String pattern, Handler handler) {
        return new Route(method, pattern, true, handler, Optional.empty());
    }

    /** An authenticated response that stays open (server-sent events): Undertow's handler takes the exchange. */
    public static Route stream(String method, String pattern, io.undertow.server.HttpHandler stream) {
        return new Route(method, pattern, false, null, Optional.of(stream));
    }

    /** Path parameters when {@code path} matches the pattern. */
    Optional<Map<String, String>> match(List<String> segments) {
        List<String> parts = Router.segments(pattern);
        if (parts.size() != segments.size()) {
            return Optional.empty();
        }
        Map<String, String> params = new java.util.HashMap<>();
        for (int i = 0; i < parts.size(); i++) {
            String p = parts.get(i);
            String s = segments.get(i);
            if (p.startsWith("{") && p.endsWith("}")) {
                if (s.isEmpty()) {
                    return Optional.empty();
                }
                params.put(p.substring(1, p.length() - 1), s);
            } else if (!p.equals(s)) {
                return Optional.empty();
            }
        }
        return Optional.of(params);
    }
}
