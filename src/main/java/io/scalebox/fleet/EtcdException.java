package io.scalebox.fleet;

/** An etcd call that failed: {@code unavailable} when no member could answer (no quorum, unreachable). */
public final class EtcdException extends Exception {
    private final boolean unavailable;

    public EtcdException(String message, boolean unavailable) {
        super(message);
        this.unavailable = unavailable;
    }

    public boolean unavailable() {
        return unavailable;
    }
}
