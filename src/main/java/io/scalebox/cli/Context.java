package io.scalebox.cli;

import java.io.BufferedReader;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What every command gets: streams, environment, output mode, and the resolved settings. */
final class Context {
    final PrintStream out;
    final PrintStream err;
    final BufferedReader in;
    /** Standard input as bytes (exec --stdin, cp -), for commands that do not read lines from {@link #in}. */
    final java.io.InputStream stdin;
    final Map<String, String> env;
    final Path systemConfig;
    final Path libexec;
    final boolean json;
    private Settings settings;

    Context(PrintStream out, PrintStream err, java.io.InputStream stdin, Map<String, String> env, Path systemConfig,
            Path libexec, boolean json) {
        this.out = out;
        this.err = err;
        this.stdin = stdin;
        this.in = new BufferedReader(new java.io.InputStreamReader(stdin, java.nio.charset.StandardCharsets.UTF_8));
        this.env = env;
        this.systemConfig = systemConfig;
        this.libexec = libexec;
        this.json = json;
    }

    Settings settings() throws CliException {
        if (settings == null) {
            settings = Settings.resolve(env, systemConfig);
        }
        return settings;
    }

    ApiClient api() throws CliException {
        Settings s = settings();
        return new ApiClient(s.host(), s.token());
    }

    /** One item's work in {@link #each}. */
    interface Action {
        void run(String item) throws CliException;
    }

    /**
     * Runs {@code action} on every item (so one failure does not stop the rest), reports each
     * failure on stderr, and fails with the first failure's exit code.
     */
    void each(List<String> items, String what, Action action) throws CliException {
        CliException first = null;
        for (String item : items) {
            try {
                action.run(item);
            } catch (CliException e) {
                err.println("scalebox: " + item + ": " + e.getMessage());
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw new CliException(first.exit(), items.size() == 1 ? first.getMessage() : "not every " + what
                    + " was done");
        }
    }

    /** Prints the human form of a reply (a table or a line). */
    interface Human {
        void print() throws CliException;
    }

    /** The raw API JSON under --json; else the table or text the command prints. */
    void print(ApiClient.Reply reply, Human human) throws CliException {
        if (json) {
            out.println(reply.body());
        } else {
            human.print();
        }
    }
}
