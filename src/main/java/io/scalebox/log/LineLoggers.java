package io.scalebox.log;

import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.message.MessageFactory;
import org.apache.logging.log4j.spi.ExtendedLogger;
import org.apache.logging.log4j.spi.LoggerContext;
import org.apache.logging.log4j.spi.LoggerContextFactory;

/**
 * The daemon's logging back end behind the Log4j 2 API: one context for the whole process,
 * lines to stdout for journald or to stderr for a terminal ({@link LogLines}), one level
 * threshold. It formats and writes lines, nothing else: no configuration file, plugins,
 * lookups or JMX to set up at every start (docs/benchmarks.md measured log4j-core's start-up
 * at about 110 ms of the daemon's).
 */
public final class LineLoggers implements LoggerContextFactory, LoggerContext {
    private static volatile Level threshold = Level.INFO;
    private final ConcurrentMap<String, LineLogger> loggers = new ConcurrentHashMap<>();
    private final LogLines lines;
    private final PrintStream out;

    /** The instance Log4j's API makes (through {@link LogProvider}): the form this process's environment asks for. */
    public LineLoggers() {
        this(LogLines.forEnvironment());
    }

    LineLoggers(LogLines lines) {
        this(lines, lines == LogLines.JOURNAL ? System.out : System.err);
    }

    LineLoggers(LogLines lines, PrintStream out) {
        this.lines = lines;
        this.out = out;
    }

    /** From now on, events below this level are dropped (LOG_LEVEL). */
    public static void setLevel(Level level) {
        threshold = level;
    }

    Level level() {
        return threshold;
    }

    void write(Level level, String logger, String message, Throwable thrown) {
        // UTF-8 whatever the locale (a unit has none: the JVM would write '?' for non-ASCII).
        byte[] text = lines.format(System.currentTimeMillis(), level, logger, message, thrown)
                .getBytes(StandardCharsets.UTF_8);
        // One write per event: lines of concurrent events never interleave.
        synchronized (out) {
            out.write(text, 0, text.length);
            out.flush();
        }
    }

    @Override
    public ExtendedLogger getLogger(String name) {
        return loggers.computeIfAbsent(name, n -> new LineLogger(n, null, this));
    }

    @Override
    public ExtendedLogger getLogger(String name, MessageFactory messages) {
        if (messages == null) {
            return getLogger(name);
        }
        // Rare (jboss-logging asks with its own factory): keyed by both so each keeps its formatting.
        return loggers.computeIfAbsent(name + "#" + messages.getClass().getName(),
                n -> new LineLogger(name, messages, this));
    }

    @Override
    public boolean hasLogger(String name) {
        return loggers.containsKey(name);
    }

    @Override
    public boolean hasLogger(String name, MessageFactory messages) {
        return hasLogger(name, messages == null ? null : messages.getClass());
    }

    @Override
    public boolean hasLogger(String name, Class<? extends MessageFactory> messages) {
        return loggers.containsKey(messages == null ? name : name + "#" + messages.getName());
    }

    @Override
    public Object getExternalContext() {
        return null;
    }

    @Override
    public LoggerContext getContext(String fqcn, ClassLoader loader, Object externalContext, boolean currentContext) {
        return this;
    }

    @Override
    public LoggerContext getContext(String fqcn, ClassLoader loader, Object externalContext, boolean currentContext,
                                    URI configLocation, String name) {
        return this;
    }

    @Override
    public void removeContext(LoggerContext context) {
        // one context for the life of the process
    }
}
