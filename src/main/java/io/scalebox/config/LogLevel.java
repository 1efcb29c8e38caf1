package io.scalebox.config;

/** The LOG_LEVEL key. */
public enum LogLevel {
    ERROR, WARN, INFO, DEBUG, TRACE;

    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
