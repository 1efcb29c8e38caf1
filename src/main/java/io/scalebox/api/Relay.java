package io.scalebox.api;

import io.undertow.server.HttpServerExchange;

/** Takes over a routed, authenticated request that another host must answer (fleet mode); false: serve it here. */
@FunctionalInterface
public interface Relay {
    boolean takes(HttpServerExchange exchange, Router.Match match);
}
