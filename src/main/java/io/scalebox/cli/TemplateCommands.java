package io.scalebox.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code scalebox template list|delete|build}. */
final class TemplateCommands {
    private final Context ctx;

    TemplateCommands(Context ctx) {
        this.ctx = ctx;
    }

    int list(List<String> argv) throws CliException {
        Args.parse("template list", argv, Set.of(), Set.of(), Map.of()).expect("template list");
        ApiClient.Reply r = ctx.api().get("/templates");
        ctx.print(r, () -> {
            Table t = new Table("NAME", "SIZE", "CREATED");
            for (JsonElement e : r.json().getAsJsonArray("templates")) {
                JsonObject o = e.getAsJsonObject();
                t.row(Format.str(o, "name"), Format.gib(o.get("size_bytes").getAsLong()),
                        Format.time(Format.str(o, "created_at")));
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
