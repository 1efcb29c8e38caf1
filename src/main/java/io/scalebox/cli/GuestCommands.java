package io.scalebox.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code exec}, {@code cp} and {@code ls}: commands and files through the VM's guest agent, so
 * neither an SSH key nor the VM's port is needed (the API token is).
 */
final class GuestCommands {
    /** The API's cap on standard input in one exec request (larger input: cp it, then redirect). */
    private static final int MAX_STDIN = 1024 * 1024;
    private static final int MAX_OUTPUT = 16 * 1024 * 1024;
    private static final Pattern ENV = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(.*)", Pattern.DOTALL);
    private final Context ctx;

    GuestCommands(Context ctx) {
        this.ctx = ctx;
    }

    /**
     * Runs the command, writes its output as it was (bytes), and exits with its exit code: 128 +
     * the signal when one ended it, 124 when the timeout did (as timeout(1)).
     */
    int exec(List<String> argv) throws CliException {
        Args a = Args.parse("exec", argv, Set.of("--stdin"), Set.of("--user", "--cwd", "--env", "--timeout"),
                Map.of("-u", "--user", "-e", "--env", "-i", "--stdin", "-w", "--cwd"));
        String vm = a.expect("exec", "VM").get(0);
        if (a.rest().isEmpty()) {
            throw CliException.usage("'exec' needs a command after --, e.g. scalebox exec " + vm + " -- uname -a");
        }
        JsonObject body = new JsonObject();
        JsonArray command = new JsonArray();
        a.rest().forEach(command::add);
        body.add("command", command);
        a.value("--user").ifPresent(u -> body.addProperty("user", u));
        a.value("--cwd").ifPresent(c -> body.addProperty("cwd", c));
        JsonObject env = new JsonObject();
        for (String e : a.values("--env")) {
            var m = ENV.matcher(e);
            if (!m.matches()) {
                throw CliException.usage("--env takes NAME=VALUE, got '" + e + "'");
            }
            env.addProperty(m.group(1), m.group(2));
        }
        if (env.size() > 0) {
            body.add("env", env);
        }
        a.integer("--timeout", 1, 3600).ifPresent(s -> body.addProperty("timeout_ms", s * 1000L));
        body.addProperty("max_output_bytes", MAX_OUTPUT);
        body.addProperty("output", "base64");
        if (a.has("--stdin")) {
            body.addProperty("stdin_b64", Base64.getEncoder().encodeToString(stdin()));
        }
        ApiClient.Reply r = ctx.api().post(VmCommands.path(vm) + "/exec", body);
        JsonObject x = r.json();
        if (ctx.json) {
            ctx.out.println(r.body());
        } else {
            ctx.out.writeBytes(bytes(x, "stdout"));
            ctx.out.flush();
            ctx.err.writeBytes(bytes(x, "stderr"));
            for (String stream : List.of("stdout", "stderr")) {
                if (x.has(stream + "_truncated") && x.get(stream + "_truncated").getAsBoolean()) {
                    ctx.err.println("scalebox: the command's " + stream + " was cut at " + MAX_OUTPUT + " bytes");
                }
            }
        }
        if (x.has("timed_out") && x.get("timed_out").getAsBoolean()) {
            ctx.err.println("scalebox: the command was ended at its timeout");
            return 124;
        }
        if (present(x, "exit_code")) {
            return x.get("exit_code").getAsInt();
        }
        return present(x, "signal") ? 128 + x.get("signal").getAsInt() : Exit.FAILURE.code();
    }

    /** {@code cp VM:PATH LOCAL|-} or {@code cp LOCAL|- VM:PATH}. */
    int cp(List<String> argv) throws CliException {
        Args a = Args.parse("cp", argv, Set.of("--mkdir"), Set.of("--mode", "--owner"), Map.of("-p", "--mkdir"));
        List<String> p = a.expect("cp", "SOURCE", "DESTINATION");
        Remote from = Remote.of(p.get(0));
        Remote to = Remote.of(p.get(1));
        if ((from == null) == (to == null)) {
            throw CliException.usage("'cp' copies between this machine and a VM: one side must be VM:/path, the other"
                    + " a local file or -");
        }
        if (from != null) {
            if (a.has("--mode") || a.has("--owner") || a.has("--mkdir")) {
                throw CliException.usage("--mode, --owner and --mkdir apply to a copy into a VM");
            }
            return download(from, p.get(1));
        }
        String local = p.get(0);
        // Into a directory (a path ending in /): under the local file's name.
        String remote = to.path().endsWith("/") && !local.equals("-")
                ? to.path() + Path.of(local).getFileName() : to.path();
        StringBuilder query = new StringBuilder("?path=" + ApiClient.segment(remote));
        a.value("--mode").ifPresent(m -> query.append("&mode=").append(ApiClient.segment(m)));
        a.value("--owner").ifPresent(o -> query.append("&owner=").append(ApiClient.segment(o)));
        if (a.has("--mkdir")) {
            query.append("&mkdir=true");
        }
        if (Files.isDirectory(Path.of(local))) {
            throw CliException.usage(local + " is a directory: cp copies one file");
        }
        // A VM that is not there is said before the file is sent (the server reads a refused body to its end).
        ctx.api().get(VmCommands.path(to.vm()));
        ApiClient.Reply r;
        try (InputStream in = local.equals("-") ? ctx.stdin : Files.newInputStream(Path.of(local))) {
            r = ctx.api().upload(VmCommands.path(to.vm()) + "/files" + query, in);
        } catch (IOException e) {
            throw new CliException(Exit.FAILURE, "cannot read " + local + ": " + e.getMessage());
        }
        JsonObject done = r.json();
        ctx.print(r, () -> ctx.out.println(to.vm() + ":" + Format.str(done, "path") + ": "
                + Format.str(done, "size_bytes") + " bytes"));
        return 0;
    }

    private int download(Remote from, String local) throws CliException {
        String path = VmCommands.path(from.vm()) + "/files?path=" + ApiClient.segment(from.path());
        if (local.equals("-")) {
            ctx.api().download(path, ctx.out);
            ctx.out.flush();
            return 0;
        }
        // Into a temporary file beside it, renamed when whole: a failed copy leaves nothing half-written.
        Path target = Path.of(local);
        if (Files.isDirectory(target)) {
            target = target.resolve(Path.of(from.path()).getFileName().toString());
        }
        Path tmp = null;
        try {
            Path dir = target.toAbsolutePath().getParent();
            tmp = Files.createTempFile(dir, ".scalebox-cp", ".part");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ctx.api().download(path, out);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
        } catch (IOException e) {
            throw new CliException(Exit.FAILURE, "cannot write " + local + ": " + e.getMessage());
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // reported above
                }
            }
        }
        return 0;
    }

    int ls(List<String> argv) throws CliException {
        Args a = Args.parse("ls", argv, Set.of(), Set.of(), Map.of());
        String target = a.expect("ls", "VM:PATH").get(0);
        Remote at = Remote.of(target);
        if (at == null) {
            throw CliException.usage("'ls' takes VM:/path, got '" + target + "'");
        }
        ApiClient.Reply r = ctx.api().get(VmCommands.path(at.vm()) + "/files/list?path=" + ApiClient.segment(at.path()));
        JsonObject listing = r.json();
        ctx.print(r, () -> {
            Table t = new Table("MODE", "OWNER", "SIZE", "MODIFIED", "TYPE", "NAME");
            for (JsonElement e : listing.getAsJsonArray("entries")) {
                JsonObject f = e.getAsJsonObject();
                t.row(Format.str(f, "mode"), Format.str(f, "owner") + ":" + Format.str(f, "group"),
                        Format.str(f, "size"), Format.time(Format.str(f, "mtime")), Format.str(f, "type"),
                        Format.str(f, "name"));
            }
            t.print(ctx.out);
            if (listing.get("truncated").getAsBoolean()) {
                ctx.err.println("scalebox: the listing was cut short (too many entries)");
            }
        });
        return 0;
    }

    private byte[] stdin() throws CliException {
        try {
            byte[] b = ctx.stdin.readNBytes(MAX_STDIN + 1);
            if (b.length > MAX_STDIN) {
                throw CliException.usage("standard input is over " + MAX_STDIN + " bytes: copy it in with"
                        + " 'scalebox cp - VM:/tmp/input' and redirect the command's input from it");
            }
            return b;
        } catch (IOException e) {
            throw new CliException(Exit.FAILURE, "cannot read standard input: " + e.getMessage());
        }
    }

    private static boolean present(JsonObject o, String field) {
        return o.has(field) && !o.get(field).isJsonNull();
    }

    private static byte[] bytes(JsonObject x, String stream) {
        return present(x, stream + "_b64") ? Base64.getDecoder().decode(x.get(stream + "_b64").getAsString())
                : new byte[0];
    }

    /** VM:/absolute/path; anything else is a local path. */
    record Remote(String vm, String path) {
        static Remote of(String arg) {
            int colon = arg.indexOf(':');
            if (colon <= 0 || colon + 1 >= arg.length() || arg.charAt(colon + 1) != '/' || arg.startsWith("/")
                    || arg.startsWith(".")) {
                return null;
            }
            return new Remote(arg.substring(0, colon), arg.substring(colon + 1));
        }
    }
}
