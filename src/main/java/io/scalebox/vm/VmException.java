package io.scalebox.vm;

/** A VM operation that cannot be done, with the reason the API turns into a status code. */
public final class VmException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why: each maps to one HTTP status in the API layer. */
    public enum Reason {
        BAD_REQUEST, FORBIDDEN, NOT_FOUND, CONFLICT, INSUFFICIENT_STORAGE, UNAVAILABLE, FAILED,
        /** The guest's side: a request it could not carry out (422), too large (413), too many at once (429). */
        UNPROCESSABLE, TOO_LARGE, TOO_MANY,
        /** The guest's agent: no answer in time (504), a broken answer (502), a refused command (501). */
        TIMEOUT, BAD_GATEWAY, NOT_IMPLEMENTED
    }

    private final ErrorCode code;

    public VmException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public VmException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Reason reason() {
        return code.reason();
    }

    public ErrorCode code() {
        return code;
    }
}
