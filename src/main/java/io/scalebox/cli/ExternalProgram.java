package io.scalebox.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** ssh, mosh and the template builder: found on PATH, run on the user's terminal. */
final class ExternalProgram {
    private ExternalProgram() {
    }

    /** Runs with the CLI's stdin, stdout and stderr; returns its exit code. */
    static int run(List<String> cmd) throws CliException {
        try {
            return new ProcessBuilder(cmd).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new CliException(Exit.FAILURE, "cannot run " + cmd.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(Exit.FAILURE, "interrupted");
        }
    }

    static Optional<Path> onPath(String program) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
