package io.scalebox.vm;

/**
 * A paused VM's memory and devices, saved in its directory: what saved them (the hypervisor's
 * {@code stateFormat}: a state loads only where that is the same), their size, and when.
 */
public record SavedState(String format, long bytes, long savedAtMillis) {
}
