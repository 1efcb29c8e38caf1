package io.scalebox.host;

import java.util.List;

/** A host tool failed: which one, how, and what it said on stderr. */
public final class CommandException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String how;
    private final String stderr;

    public CommandException(List<String> argv, String how, String stderr) {
        super(argv.get(0) + " " + how + (stderr == null || stderr.isEmpty() ? "" : ": " + lastLine(stderr))
                + " (" + String.join(" ", argv.subList(0, Math.min(argv.size(), 4))) + " …)");
        this.how = how;
        this.stderr = stderr;
    }

    /** The same failure told as {@code argv}'s: a tool run through a wrapper (a sandbox) is named, not the wrapper. */
    public CommandException as(List<String> argv) {
        return new CommandException(argv, how, stderr);
    }

    /** The line that says what went wrong: one with "error" in it, else the last. */
    private static String lastLine(String s) {
        String[] lines = s.strip().split("\n");
        for (String l : lines) {
            if (l.toLowerCase(java.util.Locale.ROOT).contains("error")) {
                return l.strip();
            }
        }
        return lines[lines.length - 1].strip();
    }
}
