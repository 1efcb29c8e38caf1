package io.scalebox.log;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Marker;
import org.apache.logging.log4j.message.Message;
import org.apache.logging.log4j.message.MessageFactory;
import org.apache.logging.log4j.spi.AbstractLogger;

/**
 * A Log4j 2 API logger that writes each event as one block of text to the process's log
 * output ({@link LineLoggers}); Log4j's API does the message formatting. Every {@code isEnabled}
 * form asks the same question: is the level at or above the threshold.
 */
final class LineLogger extends AbstractLogger {
    private static final long serialVersionUID = 1L;
    private final transient LineLoggers output;
    /** Undertow and XNIO announce their versions at every start: only their warnings are events. */
    private final boolean quiet;

    LineLogger(String name, MessageFactory messages, LineLoggers output) {
        super(name, messages);
        this.output = output;
        this.quiet = name.startsWith("io.undertow") || name.startsWith("org.xnio");
    }

    @Override
    public Level getLevel() {
        return quiet ? Level.WARN : output.level();
    }

    private boolean on(Level level) {
        return level.isMoreSpecificThan(getLevel());
    }

    @Override
    public void logMessage(String fqcn, Level level, Marker marker, Message message, Throwable t) {
        output.write(level, getName(), message.getFormattedMessage(), t != null ? t : message.getThrowable());
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, Message message, Throwable t) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, CharSequence message, Throwable t) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, Object message, Throwable t) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Throwable t) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object... params) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object p0) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object p0, Object p1) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object p0, Object p1, Object p2) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object p0, Object p1, Object p2,
                             Object p3) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object p0, Object p1, Object p2,
                             Object p3, Object p4) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object p0, Object p1, Object p2,
                             Object p3, Object p4, Object p5) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object p0, Object p1, Object p2,
                             Object p3, Object p4, Object p5, Object p6) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object p0, Object p1, Object p2,
                             Object p3, Object p4, Object p5, Object p6, Object p7) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object p0, Object p1, Object p2,
                             Object p3, Object p4, Object p5, Object p6, Object p7, Object p8) {
        return on(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object p0, Object p1, Object p2,
                             Object p3, Object p4, Object p5, Object p6, Object p7, Object p8, Object p9) {
        return on(level);
    }
}
