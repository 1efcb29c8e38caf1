package io.scalebox.api;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.scalebox.guest.ExecSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The bodies and queries of the exec and files endpoints, checked before anything reaches a
 * guest: every field's type and range, names of users and variables, paths (absolute, no NUL,
 * at most 4096 bytes). A failure names the field.
 */
final class GuestRequests {
    private static final Set<String> EXEC_FIELDS = Set.of("command", "stdin", "stdin_b64", "env", "cwd", "user",
            "timeout_ms", "max_output_bytes", "output", "background");
    private static final Pattern USER = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
    private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    private static final Pattern MODE = Pattern.compile("[0-7]{3,4}");
    private static final Pattern OWNER = Pattern.compile("[a-z_][a-z0-9_-]{0,31}(:[a-z_][a-z0-9_-]{0,31})?|[0-9]{1,9}(:[0-9]{1,9})?");
    static final int MAX_ARGS = 4096;
    static final int MAX_ENV = 256;
    static final int MAX_PATH = 4096;
    /** The exec body: a command and up to 1 MiB of standard input (base64 makes it 4/3 of that). */
    static final long EXEC_BODY = 2 * 1024 * 1024;
    static final int MAX_STDIN = 1024 * 1024;

    private GuestRequests() {
    }

    static ExecSpec exec(JsonObject o) throws ApiException {
        for (String field : o.keySet()) {
            if (!EXEC_FIELDS.contains(field)) {
                throw invalid("unknown field " + field);
            }
        }
        JsonElement command = o.get("command");
        List<String> argv = new ArrayList<>();
        if (command == null || command.isJsonNull()) {
            throw new ApiException(400, "missing_field", "command is required (a list of arguments, or one shell string)");
        } else if (command.isJsonPrimitive() && command.getAsJsonPrimitive().isString()) {
            String line = command.getAsString();
            if (line.isBlank()) {
                throw invalid("command must not be empty");
            }
            argv.addAll(List.of("/bin/sh", "-c", line));
        } else if (command.isJsonArray()) {
            for (JsonElement a : command.getAsJsonArray()) {
                if (!a.isJsonPrimitive() || !a.getAsJsonPrimitive().isString()) {
                    throw invalid("command must be a list of strings");
                }
                argv.add(a.getAsString());
            }
            if (argv.isEmpty() || argv.size() > MAX_ARGS) {
                throw invalid("command must have 1 to " + MAX_ARGS + " arguments");
            }
            if (argv.get(0).isEmpty() || argv.get(0).contains("=")) {
                throw invalid("command[0] must be a program (not empty, no '=')");
            }
        } else {
            throw invalid("command must be a list of strings or a string");
        }
        for (String a : argv) {
            noNul(a, "command");
        }
        Optional<byte[]> stdin = Optional.empty();
        if (o.has("stdin") && o.has("stdin_b64")) {
            throw invalid("give stdin or stdin_b64, not both");
        } else if (o.has("stdin")) {
            stdin = Optional.of(string(o, "stdin").getBytes(StandardCharsets.UTF_8));
        } else if (o.has("stdin_b64")) {
            try {
                stdin = Optional.of(Base64.getDecoder().decode(string(o, "stdin_b64")));
            } catch (IllegalArgumentException e) {
                throw invalid("stdin_b64 is not base64");
            }
        }
        if (stdin.isPresent() && stdin.get().length > MAX_STDIN) {
            throw new ApiException(413, "stdin_too_large", "stdin is over " + MAX_STDIN
                    + " bytes: upload it as a file and redirect the command's input from it");
        }
        Map<String, String> env = new LinkedHashMap<>();
        if (o.has("env") && !o.get("env").isJsonNull()) {
            if (!o.get("env").isJsonObject()) {
                throw invalid("env must be an object of names to strings");
            }
            for (Map.Entry<String, JsonElement> e : o.getAsJsonObject("env").entrySet()) {
                if (!VARIABLE.matcher(e.getKey()).matches()) {
                    throw invalid("env: " + e.getKey() + " is not a variable name");
                }
                if (!e.getValue().isJsonPrimitive() || !e.getValue().getAsJsonPrimitive().isString()) {
                    throw invalid("env: " + e.getKey() + " must be a string");
                }
                env.put(e.getKey(), noNul(e.getValue().getAsString(), "env"));
            }
            if (env.size() > MAX_ENV) {
                throw invalid("env has over " + MAX_ENV + " variables");
            }
        }
        Optional<String> cwd = o.has("cwd") ? Optional.of(path(string(o, "cwd"), "cwd")) : Optional.empty();
        Optional<String> user = Optional.empty();
        if (o.has("user")) {
            String u = string(o, "user");
            if (!USER.matcher(u).matches()) {
                throw invalid("user must be a user name of the guest (lower case, at most 32 characters)");
            }
            user = Optional.of(u);
        }
        long timeout = o.has("timeout_ms") ? integer(o, "timeout_ms", 1, ExecSpec.MAX_TIMEOUT.toMillis())
                : ExecSpec.DEFAULT_TIMEOUT.toMillis();
        int maxOutput = (int) (o.has("max_output_bytes") ? integer(o, "max_output_bytes", 0, ExecSpec.MAX_OUTPUT)
                : ExecSpec.DEFAULT_OUTPUT);
        boolean base64 = false;
        if (o.has("output")) {
            String output = string(o, "output");
            if (!output.equals("text") && !output.equals("base64")) {
                throw invalid("output must be text or base64");
            }
            base64 = output.equals("base64");
        }
        boolean background = o.has("background") && bool(o, "background");
        return new ExecSpec(argv, stdin, env, cwd, user, Duration.ofMillis(timeout), maxOutput, base64, background);
    }

    /** A guest path: absolute, no NUL, at most {@link #MAX_PATH} bytes. */
    static String path(String p, String what) throws ApiException {
        if (p == null || p.isEmpty()) {
            throw new ApiException(400, "invalid_path", what + " is required (an absolute path in the VM)");
        }
        if (!p.startsWith("/") || p.indexOf('\0') >= 0 || p.getBytes(StandardCharsets.UTF_8).length > MAX_PATH) {
            throw new ApiException(400, "invalid_path", what + " must be an absolute path without NUL, at most "
                    + MAX_PATH + " bytes");
        }
        return p;
    }

    /** A file's mode, octal (default 0644). */
    static String mode(Optional<String> m) throws ApiException {
        String mode = m.orElse("0644");
        if (!MODE.matcher(mode).matches()) {
            throw invalid("mode must be octal, e.g. 0644");
        }
        return mode;
    }

    /** A file's owner, user[:group] or numeric (default: the template's login user). */
    static String owner(Optional<String> o) throws ApiException {
        String owner = o.orElse(ExecSpec.DEFAULT_USER);
        if (!OWNER.matcher(owner).matches()) {
            throw invalid("owner must be user[:group] (names or numbers)");
        }
        return owner;
    }

    static boolean flag(Optional<String> q, String name) throws ApiException {
        if (q.isEmpty()) {
            return false;
        }
        return switch (q.get()) {
            case "1", "true" -> true;
            case "0", "false" -> false;
            default -> throw invalid(name + " must be true or false");
        };
    }

    static long queryLong(Optional<String> q, String name, long dflt, long max) throws ApiException {
        if (q.isEmpty()) {
            return dflt;
        }
        if (!q.get().matches("[0-9]{1,18}") || Long.parseLong(q.get()) > max) {
            throw invalid(name + " must be a whole number from 0 to " + max);
        }
        return Long.parseLong(q.get());
    }

    private static String noNul(String s, String what) throws ApiException {
        if (s.indexOf('\0') >= 0) {
            throw invalid(what + " must not contain NUL");
        }
        return s;
    }

    private static String string(JsonObject o, String field) throws ApiException {
        JsonElement e = o.get(field);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw invalid(field + " must be a string");
        }
        return e.getAsString();
    }

    private static boolean bool(JsonObject o, String field) throws ApiException {
        JsonElement e = o.get(field);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw invalid(field + " must be true or false");
        }
        return e.getAsBoolean();
    }

    private static long integer(JsonObject o, String field, long min, long max) throws ApiException {
        JsonElement e = o.get(field);
        try {
            long v = e.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
            if (e.getAsJsonPrimitive().isNumber() && v >= min && v <= max) {
                return v;
            }
        } catch (RuntimeException ex) {
            // not a whole number
        }
        throw invalid(field + " must be a whole number from " + min + " to " + max);
    }

    private static ApiException invalid(String message) {
        return ApiException.badRequest("invalid_field", message);
    }
}
