package io.scalebox.host;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.PumpStreamHandler;

/**
 * Runs a host tool (ip, nft, debugfs, …) to completion with a time limit; no shell involved,
 * and only {@link ChildEnvironment}'s variables.
 */
public final class Command {
    private Command() {
    }

    /** Output of a command that exited 0. */
    public static String run(List<String> argv, Duration timeout) throws CommandException {
        return run(argv, null, timeout);
    }

    /** As {@link #run(List, Duration)}, feeding {@code stdin} to the command. */
    public static String run(List<String> argv, String stdin, Duration timeout) throws CommandException {
        return run(argv, stdin, timeout, 0);
    }

    /** As {@link #run(List, String, Duration)}, where any of {@code okExitValues} counts as success. */
    public static String run(List<String> argv, String stdin, Duration timeout, int... okExitValues)
            throws CommandException {
        CommandLine cmd = new CommandLine(argv.get(0));
        for (String a : argv.subList(1, argv.size())) {
            cmd.addArgument(a, false);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        DefaultExecutor executor = DefaultExecutor.builder().get();
        executor.setStreamHandler(new PumpStreamHandler(out, err,
                stdin == null ? null : new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8))));
        ExecuteWatchdog watchdog = ExecuteWatchdog.builder().setTimeout(timeout).get();
        executor.setWatchdog(watchdog);
        executor.setExitValues(okExitValues);
        try {
            executor.execute(cmd, ChildEnvironment.minimal());
            return out.toString(StandardCharsets.UTF_8);
        } catch (ExecuteException e) {
            String why = watchdog.killedProcess() ? "timed out after " + timeout.toSeconds() + "s"
                    : "exited with " + e.getExitValue();
            throw new CommandException(argv, why, err.toString(StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            throw new CommandException(argv, "could not run", e.getMessage());
        }
    }
}
