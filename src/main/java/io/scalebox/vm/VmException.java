package io.scalebox.vm;

/** A VM operation that cannot be done, with the reason the API turns into a status code. */
public final class VmException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why: each maps to one HTTP status in the API layer. */
    public enum Reason {
        BAD_REQUEST, FORBIDDEN, NOT_FOUND, CONFLICT, INSUFFICIENT_STORAGE, UNAVAILABLE, FAILED
    }

    private final Reason reason;

    public VmException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public VmException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
