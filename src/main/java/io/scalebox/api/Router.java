package io.scalebox.api;

import java.util.Arrays;
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
        TreeSet<String> allowed = new TreeSet<>();
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
            allowed.add(r.method());
            allOpen &= r.open();
        }
        // An unknown path is only revealed (404) to authenticated callers.
        return new Match(null, Map.of(), List.copyOf(allowed), !allowed.isEmpty() && allOpen);
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

    static List<String> segments(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        if (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.isEmpty() ? List.of() : Arrays.asList(p.split("/", -1));
    }
}
