package io.scalebox.log;

import org.apache.logging.log4j.spi.Provider;

/** Registers {@link LineLoggers} with the Log4j 2 API (META-INF/services). */
public final class LogProvider extends Provider {
    public LogProvider() {
        super(100, "2.6.0", LineLoggers.class);
    }
}
