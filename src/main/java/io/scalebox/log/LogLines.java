package io.scalebox.log;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.apache.logging.log4j.Level;

/**
 * How one log event becomes text. Two forms, picked once at start:
 * <ul>
 * <li>journal (systemd connected stdout to journald): {@code <N>Logger: message}, and every line
 * of a stack trace prefixed {@code <3>  }, so journald files each line under a priority;
 * <li>console (a terminal): {@code HH:mm:ss.SSS LEVEL Logger: message} and the stack trace.
 * </ul>
 */
public enum LogLines {
    JOURNAL, CONSOLE;

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    /** The form for this process: journal when systemd says stdout is a journal stream. */
    public static LogLines forEnvironment() {
        return System.getenv("JOURNAL_STREAM") != null ? JOURNAL : CONSOLE;
    }

    /** The event as text, ending in a newline. */
    public String format(long epochMillis, Level level, String loggerName, String message, Throwable thrown) {
        StringBuilder b = new StringBuilder(64 + message.length());
        String shortName = loggerName.substring(loggerName.lastIndexOf('.') + 1);
        if (this == JOURNAL) {
            b.append('<').append(priority(level)).append('>');
        } else {
            b.append(TIME.format(LocalTime.ofInstant(java.time.Instant.ofEpochMilli(epochMillis), ZoneId.systemDefault())))
                    .append(' ').append(String.format("%-5s", level.name())).append(' ');
        }
        b.append(shortName).append(": ");
        appendEscaped(b, message);
        b.append('\n');
        if (thrown != null) {
            StringWriter trace = new StringWriter();
            thrown.printStackTrace(new PrintWriter(trace));
            for (String line : trace.toString().split("\n")) {
                if (!line.isEmpty()) {
                    b.append(this == JOURNAL ? "<3>  " : "").append(line).append('\n');
                }
            }
        }
        return b.toString();
    }

    /**
     * One event, one line: a line break in a message (a request path, a command's output)
     * would start a journal entry of its own, with a priority the text chose. Control
     * characters are written as escapes instead.
     */
    static void appendEscaped(StringBuilder b, String message) {
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
    }

    /** syslog priorities as journald reads them from a line's {@code <N>} prefix. */
    static int priority(Level level) {
        if (level.isMoreSpecificThan(Level.FATAL)) {
            return 2;
        }
        if (level.isMoreSpecificThan(Level.ERROR)) {
            return 3;
        }
        if (level.isMoreSpecificThan(Level.WARN)) {
            return 4;
        }
        return level.isMoreSpecificThan(Level.INFO) ? 6 : 7;
    }
}
