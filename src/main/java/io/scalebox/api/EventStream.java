package io.scalebox.api;

import io.scalebox.events.Event;
import io.scalebox.events.EventLog;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.sse.ServerSentEventConnection;
import io.undertow.server.handlers.sse.ServerSentEventHandler;

/**
 * {@code GET /events}: the lifecycle events as server-sent events (event = type, id = sequence
 * number, data = one JSON object). A client that sends Last-Event-ID first gets what it missed
 * from the bounded history; a heartbeat comment every 15 s keeps idle connections (and the
 * API's idle timeout) alive. Publishing only queues on each connection, so slow clients never
 * hold up the engine; at most {@link #MAX_CLIENTS} streams are open at once.
 */
public final class EventStream implements HttpHandler {
    static final int MAX_CLIENTS = 64;
    private final ServerSentEventHandler sse;

    public EventStream(EventLog log) {
        this.sse = new ServerSentEventHandler((connection, lastEventId) -> {
            connection.setKeepAliveTime(15_000);
            // A live event may arrive while the history is replayed: ids let clients drop a repeat.
            for (Event e : replay(log, lastEventId)) {
                send(connection, e);
            }
        });
        log.listen(e -> sse.getConnections().forEach(c -> send(c, e)));
    }

    public Route route() {
        return Route.stream("GET", "/events", this);
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        if (sse.getConnections().size() >= MAX_CLIENTS) {
            exchange.setStatusCode(503);
            exchange.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "application/json");
            exchange.getResponseSender().send(Json.GSON.toJson(Json.object("error",
                    "Too many event streams open (" + MAX_CLIENTS + ")", "code", "capacity_streams")));
            return;
        }
        sse.handleRequest(exchange);
    }

    /**
     * What a connecting client gets before the live events: nothing without a Last-Event-ID
     * (or with one that is not a number), everything held for 0, else what followed that id,
     * with an events.missed event first when the history no longer reaches back to it.
     */
    static java.util.List<Event> replay(EventLog log, String lastEventId) {
        if (lastEventId == null || !lastEventId.matches("[0-9]{1,18}")) {
            return java.util.List.of();
        }
        long id = Long.parseLong(lastEventId);
        return id == 0 ? log.since(0) : log.resume(id);
    }

    static String json(Event e) {
        return Json.GSON.toJson(Json.object("id", e.id(), "time", Json.time(e.time()), "type", e.type(),
                "vm_id", e.vmId().orElse(null), "vm_name", e.vmName().orElse(null),
                "detail", e.detail().orElse(null)));
    }

    private static void send(ServerSentEventConnection c, Event e) {
        c.send(json(e), e.type(), String.valueOf(e.id()), null);
    }
}
