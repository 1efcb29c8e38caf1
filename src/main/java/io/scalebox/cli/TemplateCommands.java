package io.scalebox.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code scalebox template list|delete|warm|build}. */
final class TemplateCommands {
    private final Context ctx;

    TemplateCommands(Context ctx) {
        this.ctx = ctx;
    }

    int list(List<String> argv) throws CliException {
        Args.parse("template list", argv, Set.of(), Set.of(), Map.of()).expect("template list");
        ApiClient.Reply r = ctx.api().get("/templates");
        ctx.print(r, () -> {
            Table t = new Table("NAME", "SIZE", "CREATED", "WARM");
            for (JsonElement e : r.json().getAsJsonArray("templates")) {
                JsonObject o = e.getAsJsonObject();
                t.row(Format.str(o, "name"), Format.gib(o.get("size_bytes").getAsLong()),
                        Format.time(Format.str(o, "created_at")), warm(o.get("warm")));
            }
            t.print(ctx.out);
        });
        return 0;
    }

    int delete(List<String> argv) throws CliException {
        List<String> names = Args.parse("template delete", argv, Set.of(), Set.of(), Map.of()).positionals();
        if (names.isEmpty()) {
            throw CliException.usage("'template delete' takes <NAME>... (one or more template names)");
        }
        ctx.each(names, "template", name -> {
            ctx.api().delete("/templates/" + ApiClient.segment(name));
            if (!ctx.json) {
                ctx.out.println("deleted template " + name);
            }
        });
        return 0;
    }

    /** A template's warm state in one word or two: "-", "yes", or "stale" (rebuilt on the next warm). */
    private static String warm(JsonElement w) {
        if (w == null || w.isJsonNull()) {
            return "-";
        }
        return w.getAsJsonObject().get("current").getAsBoolean() ? "yes" : "stale";
    }

    /** Builds each template's warm state (a private VM booted and saved; minutes under emulation). */
    int warm(List<String> argv) throws CliException {
        List<String> names = Args.parse("template warm", argv, Set.of(), Set.of(), Map.of()).positionals();
        if (names.isEmpty()) {
            throw CliException.usage("'template warm' takes <NAME>... (one or more template names)");
        }
        ctx.each(names, "template", name -> {
            ApiClient.Reply r = ctx.api().post("/templates/" + ApiClient.segment(name) + "/warm", null);
            JsonObject w = r.json().getAsJsonObject("warm");
            ctx.print(r, () -> ctx.out.println("warmed template " + name + " ("
                    + (w.get("state_bytes").getAsLong() >> 20) + " MiB of state, " + w.get("vcpu_count").getAsInt()
                    + " vCPU, " + w.get("mem_size_mib").getAsInt() + " MiB)"));
        });
        return 0;
    }

    /** Runs the package's builder in the foreground; its own --help lists its options. */
    int build(List<String> argv) throws CliException {
        Path builder = ctx.libexec.resolve("build-template");
        if (!Files.isExecutable(builder)) {
            throw new CliException(Exit.FAILURE, builder + " is missing: template build works on the Scalebox "
                    + "server itself (the package installs it there)");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(builder.toString());
        cmd.addAll(argv);
        return ExternalProgram.run(cmd);
    }
}
