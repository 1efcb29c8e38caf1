package io.scalebox.vm;

/** A template made from a running VM's disk. */
public record Snapshot(String template, String sourceVm, long sizeBytes, long createdAtMillis) {
}
