package io.scalebox.network;

/**
 * One VM port's proxy figures since it opened: connections open now, accepted and refused
 * (caps), and bytes each way.
 */
public record ProxyTraffic(int open, long accepted, long refused, long bytesToGuest, long bytesFromGuest) {
}
