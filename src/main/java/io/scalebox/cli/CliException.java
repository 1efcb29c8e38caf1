package io.scalebox.cli;

/** A failure reported as one line on stderr and an exit code, never as a stack trace. */
public final class CliException extends Exception {
    private static final long serialVersionUID = 1L;
    private final Exit exit;

    public CliException(Exit exit, String message) {
        super(message);
        this.exit = exit;
    }

    public static CliException usage(String message) {
        return new CliException(Exit.USAGE, message);
    }

    public Exit exit() {
        return exit;
    }
}
