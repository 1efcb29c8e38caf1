package io.scalebox.hypervisor;

/** The hypervisor refused or failed; the message is fit for an API error. */
public final class HypervisorException extends Exception {
    private static final long serialVersionUID = 1L;

    public HypervisorException(String message) {
        super(message);
    }

    public HypervisorException(String message, Throwable cause) {
        super(message, cause);
    }
}
