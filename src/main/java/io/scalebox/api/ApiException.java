package io.scalebox.api;

import io.scalebox.vm.VmException;
import java.util.Map;

/**
 * A client-visible failure: HTTP status, the body {@code {"error": message, "code": code}} (code:
 * stable snake_case, README "Error codes"), extra headers.
 */
public final class ApiException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String code;
    private final transient Map<String, String> headers;

    public ApiException(int status, String code, String message) {
        this(status, code, message, Map.of());
    }

    public ApiException(int status, String code, String message, Map<String, String> headers) {
        super(message);
        this.status = status;
        this.code = code;
        this.headers = Map.copyOf(headers);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public static ApiException badRequest(String code, String message) {
        return new ApiException(400, code, message);
    }

    /** The one mapping of the engine's refusals to HTTP statuses. */
    public static ApiException from(VmException e) {
        int status = switch (e.reason()) {
            case BAD_REQUEST -> 400;
            case FORBIDDEN -> 403;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case INSUFFICIENT_STORAGE -> 507;
            case UNAVAILABLE -> 503;
            case FAILED -> 500;
            case UNPROCESSABLE -> 422;
            case TOO_LARGE -> 413;
            case TOO_MANY -> 429;
            case TIMEOUT -> 504;
            case BAD_GATEWAY -> 502;
            case NOT_IMPLEMENTED -> 501;
        };
        return new ApiException(status, e.code().key(), e.getMessage());
    }
}
