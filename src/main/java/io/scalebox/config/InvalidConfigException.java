package io.scalebox.config;

import java.util.List;

/** The configuration has at least one bad value; {@link #errors()} lists every one of them. */
public final class InvalidConfigException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient List<ConfigError> errors;

    public InvalidConfigException(List<ConfigError> errors) {
        super(errors.size() + " invalid configuration value(s)");
        this.errors = List.copyOf(errors);
    }

    public List<ConfigError> errors() {
        return errors;
    }
}
