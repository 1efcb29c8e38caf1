package io.scalebox.api;

import io.scalebox.vm.VmException;

/**
 * One endpoint's logic. Runs on a worker thread, so it may block. Refusals of the engine
 * ({@link VmException}) become their HTTP status in one place, {@link ApiException#from}.
 */
@FunctionalInterface
public interface Handler {
    Response handle(Request request) throws ApiException, VmException;
}
