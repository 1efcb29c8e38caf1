package io.scalebox.api;

/** One endpoint's logic. Runs on a worker thread, so it may block. */
@FunctionalInterface
public interface Handler {
    Response handle(Request request) throws ApiException;
}
