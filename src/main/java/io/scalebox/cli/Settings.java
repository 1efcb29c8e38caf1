package io.scalebox.cli;

import io.scalebox.config.EnvFile;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * Where the CLI finds the server and the token, per value: the environment
 * ({@code SCALEBOX_HOST}, {@code SCALEBOX_TOKEN}), then the user's file
 * ({@code ~/.config/scalebox/config}, dir from {@code SCALEBOX_CONFIG_DIR}), then the
 * server's own {@code /etc/scalebox/config} when readable (so root on the server needs
 * no login), then the default {@code http://localhost:8080}.
 */
public record Settings(String host, Source hostSource, Optional<String> token, Source tokenSource, Path configDir) {
    public static final String DEFAULT_HOST = "http://localhost:8080";
    static final String HOST_KEY = "SCALEBOX_HOST";
    static final String TOKEN_KEY = "SCALEBOX_TOKEN";

    /** Where a value came from, as shown by {@code config show}. */
    public enum Source {
        ENVIRONMENT("environment"), USER_CONFIG("user config"), SYSTEM_CONFIG("server config"),
        DEFAULT("default"), NONE("not set");

        private final String label;

        Source(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public Path userFile() {
        return configDir.resolve("config");
    }

    public Path sshKey() {
        return configDir.resolve("id_ed25519");
    }

    public Path knownHosts() {
        return configDir.resolve("known_hosts");
    }

    public static Settings resolve(Map<String, String> env, Path systemFile) throws CliException {
        Path dir = configDir(env);
        Map<String, String> user = readIfPresent(dir.resolve("config"), true);
        Map<String, String> system = readIfPresent(systemFile, false);

        String host;
        Source hostSource;
        if (nonEmpty(env.get(HOST_KEY))) {
            host = env.get(HOST_KEY);
            hostSource = Source.ENVIRONMENT;
        } else if (nonEmpty(user.get(HOST_KEY))) {
            host = user.get(HOST_KEY);
            hostSource = Source.USER_CONFIG;
        } else if (!system.isEmpty()) {
            host = localUrl(system);
            hostSource = Source.SYSTEM_CONFIG;
        } else {
            host = DEFAULT_HOST;
            hostSource = Source.DEFAULT;
        }
        host = checkUrl(host, hostSource == Source.ENVIRONMENT ? "SCALEBOX_HOST" : hostSource.label() + " host");

        Optional<String> token;
        Source tokenSource;
        if (nonEmpty(env.get(TOKEN_KEY))) {
            token = Optional.of(env.get(TOKEN_KEY));
            tokenSource = Source.ENVIRONMENT;
        } else if (nonEmpty(user.get(TOKEN_KEY))) {
            token = Optional.of(user.get(TOKEN_KEY));
            tokenSource = Source.USER_CONFIG;
        } else if (nonEmpty(system.get("API_TOKEN"))) {
            token = Optional.of(system.get("API_TOKEN"));
            tokenSource = Source.SYSTEM_CONFIG;
        } else {
            token = Optional.empty();
            tokenSource = Source.NONE;
        }
        return new Settings(host, hostSource, token, tokenSource, dir);
    }

    static Path configDir(Map<String, String> env) {
        if (nonEmpty(env.get("SCALEBOX_CONFIG_DIR"))) {
            return Path.of(env.get("SCALEBOX_CONFIG_DIR"));
        }
        if (nonEmpty(env.get("XDG_CONFIG_HOME"))) {
            return Path.of(env.get("XDG_CONFIG_HOME"), "scalebox");
        }
        // $HOME first, as every Unix tool: Java's user.home comes from the password database.
        String home = nonEmpty(env.get("HOME")) ? env.get("HOME") : System.getProperty("user.home");
        return Path.of(home, ".config", "scalebox");
    }

    static String configDirSource(Map<String, String> env) {
        return nonEmpty(env.get("SCALEBOX_CONFIG_DIR")) ? "SCALEBOX_CONFIG_DIR"
                : nonEmpty(env.get("XDG_CONFIG_HOME")) ? "XDG_CONFIG_HOME" : "default";
    }

    /** The API as seen from the server itself: its port, on loopback unless bound elsewhere. */
    static String localUrl(Map<String, String> system) {
        String port = Optional.ofNullable(system.get("API_PORT")).filter(Settings::nonEmpty).orElse("8080");
        String bind = Optional.ofNullable(system.get("API_BIND")).orElse("");
        String address = bind.isEmpty() || bind.equals("0.0.0.0") || bind.equals("::") ? "localhost"
                : bind.contains(":") ? "[" + bind + "]" : bind;
        return "http://" + address + ":" + port;
    }

    /** An http(s) URL with a host, without a trailing slash; else a usage error naming its origin. */
    static String checkUrl(String url, String origin) throws CliException {
        try {
            URI uri = new URI(url);
            if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || uri.getHost() == null
                    || uri.getQuery() != null || uri.getFragment() != null) {
                throw new URISyntaxException(url, "not an http(s) URL with a host");
            }
            return url.replaceAll("/+$", "");
        } catch (URISyntaxException e) {
            throw CliException.usage(origin + " '" + url + "' is not a URL like http://server:8080");
        }
    }

    /** Writes the user's file (dir 0700, file 0600) atomically. */
    static void saveUserFile(Path dir, String host, String token) throws IOException {
        ensureDir(dir);
        Path tmp = Files.createTempFile(dir, ".config", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, "# scalebox CLI login (scalebox login / scalebox logout)\n" + HOST_KEY + "=" + host
                + "\n" + TOKEN_KEY + "=" + token + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve("config"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static void ensureDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    private static Map<String, String> readIfPresent(Path file, boolean mustBeReadable) throws CliException {
        if (!Files.exists(file)) {
            return Map.of();
        }
        try {
            return EnvFile.read(file);
        } catch (AccessDeniedException e) {
            if (mustBeReadable) {
                throw new CliException(Exit.FAILURE, "cannot read " + file + ": permission denied");
            }
            return Map.of(); // the server's file is root's: others log in instead
        } catch (IOException e) {
            throw new CliException(Exit.FAILURE, "cannot read " + file + ": " + e.getMessage());
        }
    }

    private static boolean nonEmpty(String s) {
        return s != null && !s.isEmpty();
    }
}
