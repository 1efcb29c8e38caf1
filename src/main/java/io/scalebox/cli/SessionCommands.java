package io.scalebox.cli;

import com.google.gson.JsonObject;
import io.scalebox.daemon.Version;
import java.io.Console;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@code login}, {@code logout}, {@code config show}, {@code status}, {@code version}. */
final class SessionCommands {
    private final Context ctx;

    SessionCommands(Context ctx) {
        this.ctx = ctx;
    }

    int login(List<String> argv) throws CliException {
        Args a = Args.parse("login", argv, Set.of("--token-stdin"), Set.of("--host"), Map.of());
        a.expect("login");
        Path dir = Settings.configDir(ctx.env);
        String host = a.value("--host").isPresent() ? Settings.checkUrl(a.value("--host").get(), "--host")
                : ctx.settings().host();
        String token = a.has("--token-stdin") ? tokenFromStdin() : tokenFromTerminal(host);
        // /info needs the token: a wrong one answers 401 (exit 4), an unreachable server exit 3.
        new ApiClient(host, Optional.of(token)).get("/info");
        try {
            Settings.saveUserFile(dir, host, token);
        } catch (IOException e) {
            throw new CliException(Exit.FAILURE, "cannot save the login in " + dir + ": " + e.getMessage());
        }
        ctx.out.println("logged in to " + host + " (saved in " + dir.resolve("config") + ")");
        for (String key : List.of(Settings.HOST_KEY, Settings.TOKEN_KEY)) {
            if (ctx.env.get(key) != null && !ctx.env.get(key).isEmpty()) {
                ctx.err.println("scalebox: note: " + key + " is set in the environment and takes precedence");
            }
        }
        return 0;
    }

    private String tokenFromStdin() throws CliException {
        try {
            String line = ctx.in.readLine();
            if (line == null || line.isBlank()) {
                throw CliException.usage("--token-stdin: standard input had no token");
            }
            return line.strip();
        } catch (IOException e) {
            throw new CliException(Exit.FAILURE, "cannot read the token from standard input: " + e.getMessage());
        }
    }

    private static String tokenFromTerminal(String host) throws CliException {
        Console console = System.console();
        if (console == null) {
            throw CliException.usage("no terminal to ask for the token: pipe it in with --token-stdin");
        }
        char[] typed = console.readPassword("API token for %s (API_TOKEN in /etc/scalebox/config): ", host);
        if (typed == null || typed.length == 0) {
            throw CliException.usage("no token given");
        }
        return new String(typed).strip();
    }

    int logout(List<String> argv) throws CliException {
        Args.parse("logout", argv, Set.of(), Set.of(), Map.of()).expect("logout");
        Path file = Settings.configDir(ctx.env).resolve("config");
        try {
            if (Files.deleteIfExists(file)) {
                ctx.out.println("logged out (removed " + file + ")");
            } else {
                ctx.out.println("not logged in (no " + file + ")");
            }
        } catch (IOException e) {
            throw new CliException(Exit.FAILURE, "cannot remove " + file + ": " + e.getMessage());
        }
        return 0;
    }

    int configShow(List<String> argv) throws CliException {
        Args a = Args.parse("config show", argv, Set.of("--show-token"), Set.of(), Map.of());
        a.expect("config show");
        Settings s = ctx.settings();
        String token = s.token().map(t -> a.has("--show-token") ? t : mask(t)).orElse(null);
        if (ctx.json) {
            JsonObject o = new JsonObject();
            o.addProperty("host", s.host());
            o.addProperty("host_source", s.hostSource().label());
            o.addProperty("token", token);
            o.addProperty("token_source", s.tokenSource().label());
            o.addProperty("config_dir", s.configDir().toString());
            o.addProperty("ssh_key", Files.exists(s.sshKey()) ? s.sshKey().toString() : null);
            ctx.out.println(o);
            return 0;
        }
        new Table("SETTING", "VALUE", "FROM")
                .row("host", s.host(), s.hostSource().label())
                .row("token", token == null ? "(none)" : token, s.tokenSource().label())
                .row("config dir", s.configDir(), Settings.configDirSource(ctx.env))
                .row("ssh key", Files.exists(s.sshKey()) ? s.sshKey() : "(made by the first vm create)", "")
                .print(ctx.out);
        return 0;
    }

    /** Enough to recognise a token, not to use it: "sb-1…cdef". */
    static String mask(String token) {
        return token.length() <= 8 ? "****" : token.substring(0, 4) + "…" + token.substring(token.length() - 4);
    }

    int status(List<String> argv) throws CliException {
        Args.parse("status", argv, Set.of(), Set.of(), Map.of()).expect("status");
        ApiClient.Reply r = ctx.api().get("/info");
        JsonObject o = r.json();
        ctx.print(r, () -> {
            JsonObject st = o.getAsJsonObject("storage");
            JsonObject mem = o.getAsJsonObject("memory");
            new Table("ITEM", "VALUE")
                    .row("server", ctx.settings().host())
                    .row("version", Format.str(o, "version"))
                    .row("hypervisor", Format.str(o, "hypervisor") + " (" + Format.str(o, "accel") + ")")
                    .row("vms", Format.str(o, "vms_count"))
                    .row("templates", Format.str(o, "templates_count"))
                    .row("guest kernel", ready(o, "kernel_ready"))
                    .row("debian-base", ready(o, "base_template_ready") + built(o))
                    .row("storage", st == null ? "-" : Format.str(st, "free_gb") + " GB free of "
                            + Format.str(st, "total_gb") + " GB")
                    .row("memory", mem == null ? "-" : Format.str(mem, "free_gb") + " GB free of "
                            + Format.str(mem, "total_gb") + " GB")
                    .row("cpu", Format.str(o, "cpu_percent") + " %")
                    .row("disk clones", Format.str(o, "disk_clone"))
                    .print(ctx.out);
        });
        return 0;
    }

    /** " (Debian 13.7, kernel …, built …)" when the server knows. */
    private static String built(JsonObject info) {
        if (!info.has("base_template") || !info.get("base_template").isJsonObject()) {
            return "";
        }
        JsonObject b = info.getAsJsonObject("base_template");
        return " (Debian " + Format.str(b, "debian_version") + ", kernel " + Format.str(b, "kernel_version")
                + ", built " + Format.time(Format.str(b, "built_at")) + ")";
    }

    private static String ready(JsonObject info, String field) {
        if (!info.has(field)) {
            return "-";
        }
        return info.get(field).getAsBoolean() ? "ready" : "missing: sudo scalebox template build debian-base";
    }

    /** Follows the server's lifecycle events until interrupted (or the server goes away). */
    int events(List<String> argv) throws CliException {
        Args a = Args.parse("events", argv, Set.of(), Set.of("--since"), Map.of());
        a.expect("events");
        Optional<Integer> since = a.integer("--since", 0, Integer.MAX_VALUE);
        ctx.api().stream("/events", since.map(String::valueOf), data -> {
            if (ctx.json) {
                ctx.out.println(data);
            } else {
                JsonObject e = com.google.gson.JsonParser.parseString(data).getAsJsonObject();
                ctx.out.println(String.join("  ", Format.str(e, "time"), Format.str(e, "type"),
                        e.get("vm_name").isJsonNull() ? "-" : Format.str(e, "vm_name"),
                        e.get("detail").isJsonNull() ? "" : Format.str(e, "detail")).strip());
            }
            ctx.out.flush();
        });
        return 0;
    }

    int version(List<String> argv) throws CliException {
        Args.parse("version", argv, Set.of(), Set.of(), Map.of()).expect("version");
        String server;
        try {
            server = Format.str(ctx.api().get("/info").json(), "version");
        } catch (CliException e) {
            server = null; // the client's version is still worth printing
            ctx.err.println("scalebox: server version unknown: " + e.getMessage());
        }
        if (ctx.json) {
            JsonObject o = new JsonObject();
            o.addProperty("client", Version.current());
            o.addProperty("server", server);
            ctx.out.println(o);
        } else {
            ctx.out.println("scalebox " + Version.current());
            if (server != null) {
                ctx.out.println("scaleboxd " + server + " at " + ctx.settings().host());
            }
        }
        return 0;
    }
}
