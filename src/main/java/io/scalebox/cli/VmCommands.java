package io.scalebox.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@code scalebox vm list|create|get|delete|snapshot|stop|start} (wait: {@link GuestAccess}). */
final class VmCommands {
    private final Context ctx;

    VmCommands(Context ctx) {
        this.ctx = ctx;
    }

    static String path(String idOrName) {
        return "/vms/" + ApiClient.segment(idOrName);
    }

    int list(List<String> argv) throws CliException {
        Args a = Args.parse("vm list", argv, Set.of("--names"), Set.of(), Map.of());
        a.expect("vm list");
        ApiClient.Reply r = ctx.api().get("/vms");
        List<JsonObject> vms = r.json().getAsJsonArray("vms").asList().stream().map(JsonElement::getAsJsonObject)
                .toList();
        if (a.has("--names") && !ctx.json) {
            vms.forEach(v -> ctx.out.println(Format.str(v, "name")));
            return 0;
        }
        ctx.print(r, () -> {
            Table t = new Table("ID", "NAME", "STATUS", "TEMPLATE", "VCPUS", "MEMORY", "DISK", "SSH", "CREATED");
            for (JsonObject v : vms) {
                t.row(Format.str(v, "id"), Format.str(v, "name"), Format.str(v, "status"), Format.str(v, "template"),
                        Format.str(v, "vcpu_count"), Format.str(v, "mem_size_mib") + " MiB",
                        Format.str(v, "disk_size_gib") + " GiB", Format.str(v, "ip") + ":" + Format.str(v, "ssh_port"),
                        Format.time(Format.str(v, "created_at")));
            }
            t.print(ctx.out);
        });
        return 0;
    }

    int create(List<String> argv) throws CliException {
        Args a = Args.parse("vm create", argv, Set.of(),
                Set.of("--template", "--key", "--name", "--vcpus", "--mem", "--disk", "--host"),
                Map.of("-t", "--template", "-k", "--key", "-n", "--name"));
        a.expect("vm create");
        JsonObject body = new JsonObject();
        body.addProperty("template", a.value("--template").orElse("debian-base"));
        a.value("--name").ifPresent(n -> body.addProperty("name", n));
        a.value("--host").ifPresent(h -> body.addProperty("host", h));
        // Ranges are the server's (its limits are configurable); here only "a whole number".
        a.integer("--vcpus", 1, Integer.MAX_VALUE).ifPresent(n -> body.addProperty("vcpu_count", n));
        a.integer("--mem", 1, Integer.MAX_VALUE).ifPresent(n -> body.addProperty("mem_size_mib", n));
        a.integer("--disk", 1, Integer.MAX_VALUE).ifPresent(n -> body.addProperty("disk_size_gib", n));
        body.addProperty("ssh_public_key", publicKey(a));
        ApiClient.Reply r = ctx.api().post("/vms", body);
        JsonObject vm = r.json();
        ctx.print(r, () -> {
            show(vm);
            ctx.out.println();
            ctx.out.println("Shell: scalebox connect " + Format.str(vm, "name")
                    + "   (wait for its SSH server: scalebox vm wait --ssh " + Format.str(vm, "name") + ")");
        });
        return 0;
    }

    /** -k KEY, -k @FILE, or the CLI's own key (made on first use). */
    private String publicKey(Args a) throws CliException {
        String key = a.value("--key").orElse(null);
        if (key == null) {
            return SshKey.managed(ctx).publicKey();
        }
        if (key.startsWith("@")) {
            Path file = Path.of(key.substring(1));
            try {
                key = Files.readString(file, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new CliException(Exit.FAILURE, "cannot read the key file " + file + ": "
                        + (Files.exists(file) ? e.getMessage() : "no such file"));
            }
        }
        if (key.isBlank()) {
            throw CliException.usage("--key is empty; give an SSH public key line or @FILE");
        }
        return key;
    }

    /** The newest console output of a VM: its boot messages, a failed boot's reason. */
    int console(List<String> argv) throws CliException {
        Args a = Args.parse("vm console", argv, Set.of(), Set.of("--lines", "--bytes"), Map.of("-n", "--lines"));
        String vm = a.expect("vm console", "VM").get(0);
        Optional<Integer> lines = a.integer("--lines", 1, 10_000);
        Optional<Integer> bytes = a.integer("--bytes", 1, 1 << 20);
        if (lines.isPresent() && bytes.isPresent()) {
            throw CliException.usage("vm console takes --lines or --bytes, not both");
        }
        String query = bytes.map(b -> "?bytes=" + b).orElse(lines.map(n -> "?lines=" + n).orElse(""));
        ApiClient.Reply r = ctx.api().get(path(vm) + "/console" + query);
        JsonObject o = r.json();
        ctx.print(r, () -> ctx.out.print(Format.str(o, "console")));
        return 0;
    }

    int get(List<String> argv) throws CliException {
        String vm = Args.parse("vm get", argv, Set.of(), Set.of(), Map.of()).expect("vm get", "VM").get(0);
        ApiClient.Reply r = ctx.api().get(path(vm));
        JsonObject o = r.json();
        ctx.print(r, () -> show(o));
        return 0;
    }

    int delete(List<String> argv) throws CliException {
        List<String> vms = Args.parse("vm delete", argv, Set.of(), Set.of(), Map.of()).positionals();
        if (vms.isEmpty()) {
            throw CliException.usage("'vm delete' takes <VM>... (one or more ids or names)");
        }
        ctx.each(vms, "VM", vm -> {
            ApiClient.Reply r = ctx.api().delete(path(vm));
            if (!ctx.json) {
                // 202: in a fleet, the VM's host does not answer; it deletes the VM when it is back.
                ctx.out.println(r.status() == 202 ? "delete of " + vm + " queued: its host is unreachable and deletes it"
                        + " when it is back" : "deleted " + vm);
            }
        });
        return 0;
    }

    int snapshot(List<String> argv) throws CliException {
        List<String> p = Args.parse("vm snapshot", argv, Set.of(), Set.of(), Map.of())
                .expect("vm snapshot", "VM", "TEMPLATE");
        JsonObject body = new JsonObject();
        body.addProperty("template_name", p.get(1));
        ApiClient.Reply r = ctx.api().post(path(p.get(0)) + "/snapshot", body);
        JsonObject o = r.json();
        ctx.print(r, () -> ctx.out.println("template " + Format.str(o, "template") + " created from "
                + Format.str(o, "source_vm") + " (" + Format.gib(o.get("size_bytes").getAsLong()) + ")"));
        return 0;
    }

    /**
     * stop (--force: no clean shutdown), start (--discard-state: a paused VM boots from its disk),
     * pause or resume; answers once the VM is so.
     */
    int power(String action, List<String> argv) throws CliException {
        Set<String> flags = switch (action) {
            case "stop" -> Set.of("--force");
            case "start" -> Set.of("--discard-state");
            default -> Set.of();
        };
        Args a = Args.parse("vm " + action, argv, flags, Set.of(), Map.of("-f", "--force"));
        String vm = a.expect("vm " + action, "VM").get(0);
        JsonObject body = null;
        if (a.has("--force") || a.has("--discard-state")) {
            body = new JsonObject();
            body.addProperty(a.has("--force") ? "force" : "discard_state", true);
        }
        ApiClient.Reply r = ctx.api().post(path(vm) + "/" + action, body);
        JsonObject o = r.json();
        ctx.print(r, () -> ctx.out.println(Format.str(o, "name") + " (" + Format.str(o, "id") + ") is "
                + Format.str(o, "status")));
        return 0;
    }

    private void show(JsonObject vm) {
        Table t = new Table("FIELD", "VALUE");
        for (Map.Entry<String, JsonElement> e : vm.entrySet()) {
            t.row(e.getKey(), e.getValue().isJsonNull() ? "-" : e.getValue().getAsString());
        }
        t.print(ctx.out);
    }
}
