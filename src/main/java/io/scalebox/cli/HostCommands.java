package io.scalebox.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code scalebox hosts} and {@code host drain|undrain|remove}: the hosts of a fleet. */
final class HostCommands {
    private final Context ctx;

    HostCommands(Context ctx) {
        this.ctx = ctx;
    }

    int list(List<String> argv) throws CliException {
        Args.parse("hosts", argv, Set.of(), Set.of(), Map.of()).expect("hosts");
        ApiClient.Reply r = ctx.api().get("/hosts");
        ctx.print(r, () -> {
            Table t = new Table("ID", "NAME", "STATUS", "VMS", "FREE MEM", "URL");
            for (JsonElement e : r.json().getAsJsonArray("hosts")) {
                JsonObject h = e.getAsJsonObject();
                JsonElement load = h.get("load");
                boolean known = load != null && load.isJsonObject();
                t.row(Format.str(h, "id") + (h.get("this_host").getAsBoolean() ? " *" : ""), Format.str(h, "name"),
                        Format.str(h, "status"), known ? Format.str(load.getAsJsonObject(), "vms") : "-",
                        known ? load.getAsJsonObject().get("mem_free_mib").getAsLong() + " MiB" : "-",
                        Format.str(h, "url"));
            }
            t.print(ctx.out);
        });
        return 0;
    }

    int drain(List<String> argv, boolean on) throws CliException {
        String cmd = on ? "host drain" : "host undrain";
        String host = Args.parse(cmd, argv, Set.of(), Set.of(), Map.of()).expect(cmd, "HOST").get(0);
        ApiClient.Reply r = ctx.api().post("/hosts/" + ApiClient.segment(host) + (on ? "/drain" : "/undrain"), null);
        ctx.print(r, () -> ctx.out.println((on ? "drained host " : "undrained host ") + host
                + (on ? ": no new VMs go there; its VMs keep running" : "")));
        return 0;
    }

    int remove(List<String> argv) throws CliException {
        Args a = Args.parse("host remove", argv, Set.of("--force"), Set.of(), Map.of("-f", "--force"));
        String host = a.expect("host remove", "HOST").get(0);
        ApiClient.Reply r = ctx.api().delete("/hosts/" + ApiClient.segment(host) + (a.has("--force") ? "?force=true" : ""));
        ctx.print(r, () -> ctx.out.println("removed host " + host + " from the fleet ("
                + r.json().get("vm_records_dropped").getAsInt() + " VM records dropped)"));
        return 0;
    }
}
