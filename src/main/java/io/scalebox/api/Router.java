package io.scalebox.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/** Finds the route for a method and path, or tells 404 from 405 (with the allowed methods). */
public final class Router {
    /** A route with its pattern split into segments once. */
    private record Entry(Route route, List<String> parts) {
    }

    private final List<Entry> routes;

    public Router(List<Route> routes) {
        this.routes = routes.stream().map(r -> new Entry(r, segments(r.pattern()))).toList();
    }

    /**
     * The outcome of routing: a route with its parameters, or the methods the path allows
     * (empty: unknown path). {@code open} is true when no token is needed to learn the outcome.
     */
    public record Match(Route route, Map<String, String> params, List<String> allowed, boolean open) {
        public boolean found() {
            return route != null;
        }
    }

    public Match route(String method, String path) {
        List<String> segments = segments(path);
        TreeSet<String> allowed = null; // made only for a 405: most requests find their route
        boolean allOpen = true;
        for (Entry e : routes) {
            Route r = e.route();
            Optional<Map<String, String>> params = params(e.parts(), segments);
            if (params.isEmpty()) {
                continue;
            }
            if (r.method().equals(method)) {
                return new Match(r, params.get(), List.of(), r.open());
            }
            if (allowed == null) {
                allowed = new TreeSet<>();
            }
            allowed.add(r.method());
            allOpen &= r.open();
        }
        // An unknown path is only revealed (404) to authenticated callers.
        return allowed == null ? new Match(null, Map.of(), List.of(), false)
                : new Match(null, Map.of(), List.copyOf(allowed), allOpen);
    }

    /** Path parameters when the segments match the pattern's parts; {@code {x}} matches one non-empty segment. */
    private static Optional<Map<String, String>> params(List<String> parts, List<String> segments) {
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

    /** The path's segments without the leading and one trailing slash: {@code /vms/a/} is [vms, a]. */
    static List<String> segments(String path) {
        int from = path.startsWith("/") ? 1 : 0;
        int to = path.endsWith("/") && path.length() > from ? path.length() - 1 : path.length();
        if (from >= to) {
            return List.of();
        }
        List<String> out = new ArrayList<>(4);
        for (int slash = path.indexOf('/', from); slash >= 0 && slash < to; slash = path.indexOf('/', from)) {
            out.add(path.substring(from, slash));
            from = slash + 1;
        }
        out.add(path.substring(from, to));
        return out;
    }
}
