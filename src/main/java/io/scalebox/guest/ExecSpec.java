package io.scalebox.guest;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A command to run in a VM, validated: its argv (a shell string arrives as
 * {@code /bin/sh -c STRING}), standard input, environment, working directory (empty: the
 * user's home), the user (empty: the template's login user), the time it may take, how much of
 * each output stream comes back, whether output is always base64, and whether it runs in the
 * background.
 */
public record ExecSpec(List<String> argv, Optional<byte[]> stdin, Map<String, String> env, Optional<String> cwd,
                       Optional<String> user, Duration timeout, int maxOutputBytes, boolean base64,
                       boolean background) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration MAX_TIMEOUT = Duration.ofHours(1);
    public static final int DEFAULT_OUTPUT = 1024 * 1024;
    /** qemu-ga's own cap of a captured stream, and ours of what comes back. */
    public static final int MAX_OUTPUT = 16 * 1024 * 1024;
    /** The login user of Scalebox's templates (api.md "Guest conventions"). */
    public static final String DEFAULT_USER = "user";

    public ExecSpec {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
    }

    public String userOrDefault() {
        return user.orElse(DEFAULT_USER);
    }
}
