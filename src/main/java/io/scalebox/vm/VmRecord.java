package io.scalebox.vm;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.scalebox.hypervisor.VmProcess;
import java.util.Optional;

/**
 * The text of {@code vm.json}: version 3 with stable snake_case names, written by this version
 * (3 added {@code saved}, a paused VM's state); version 2 and the records of 0.1.0 (Java field
 * names, no version) are still read, so VMs keep running across an upgrade. Anything else is corrupt: {@link #parse} throws with the reason.
 */
final class VmRecord {
    static final int VERSION = 3;
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls().create();

    private VmRecord() {
    }

    static String format(Vm vm) {
        JsonObject o = new JsonObject();
        o.addProperty("version", VERSION);
        o.addProperty("id", vm.id());
        o.addProperty("name", vm.name());
        o.addProperty("template", vm.template());
        o.addProperty("guest_address", vm.guestAddress());
        o.addProperty("tap", vm.tap());
        o.addProperty("mac", vm.mac());
        o.addProperty("ssh_port", vm.sshPort());
        o.addProperty("vcpu_count", vm.vcpuCount());
        o.addProperty("mem_size_mib", vm.memSizeMib());
        o.addProperty("disk_size_gib", vm.diskSizeGib());
        o.addProperty("created_at_millis", vm.createdAtMillis());
        o.addProperty("hypervisor", vm.hypervisor());
        o.addProperty("kernel_version", vm.kernelVersion().orElse(null));
        if (vm.process().isPresent()) {
            VmProcess p = vm.process().get();
            JsonObject process = new JsonObject();
            process.addProperty("pid", p.pid());
            process.addProperty("unit", p.unit().orElse(null));
            process.addProperty("cmdline", p.cmdline());
            o.add("process", process);
        } else {
            o.add("process", null);
        }
        if (vm.saved().isPresent()) {
            SavedState st = vm.saved().get();
            JsonObject saved = new JsonObject();
            saved.addProperty("format", st.format());
            saved.addProperty("bytes", st.bytes());
            saved.addProperty("saved_at_millis", st.savedAtMillis());
            o.add("saved", saved);
        } else {
            o.add("saved", null);
        }
        return GSON.toJson(o);
    }

    static Vm parse(String text) {
        JsonElement e;
        try {
            e = JsonParser.parseString(text);
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException("not JSON (" + rootMessage(ex) + ")");
        }
        if (!e.isJsonObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        JsonObject o = e.getAsJsonObject();
        return o.has("version") ? current(o) : legacy(o);
    }

    private static Vm current(JsonObject o) {
        int version = integer(o, "version");
        if (version != VERSION && version != 2) {
            throw new IllegalArgumentException("record version " + version + " is not 2 or " + VERSION);
        }
        Optional<VmProcess> process = Optional.empty();
        JsonElement p = o.get("process");
        if (p != null && p.isJsonObject()) {
            JsonObject po = p.getAsJsonObject();
            process = Optional.of(new VmProcess(longValue(po, "pid"), optional(po, "unit"), text(po, "cmdline")));
        } else if (p != null && !p.isJsonNull()) {
            throw new IllegalArgumentException("process is neither an object nor null");
        }
        Optional<SavedState> saved = Optional.empty();
        JsonElement st = o.get("saved");
        if (st != null && st.isJsonObject()) {
            JsonObject so = st.getAsJsonObject();
            saved = Optional.of(new SavedState(text(so, "format"), longValue(so, "bytes"), longValue(so, "saved_at_millis")));
        } else if (st != null && !st.isJsonNull()) {
            throw new IllegalArgumentException("saved is neither an object nor null");
        }
        if (process.isPresent() && saved.isPresent()) {
            throw new IllegalArgumentException("a record with a process and a saved state");
        }
        return new Vm(text(o, "id"), text(o, "name"), text(o, "template"), text(o, "guest_address"), text(o, "tap"),
                text(o, "mac"), integer(o, "ssh_port"), integer(o, "vcpu_count"), integer(o, "mem_size_mib"),
                integer(o, "disk_size_gib"), longValue(o, "created_at_millis"), text(o, "hypervisor"),
                optional(o, "kernel_version"), process, saved);
    }

    /** 0.1.0: Gson's rendering of the record's Java fields, with a status beside pid/unit/cmdline. */
    private static Vm legacy(JsonObject o) {
        String status = text(o, "status");
        long pid = o.has("pid") ? longValue(o, "pid") : 0;
        Optional<VmProcess> process = status.equals("running") && pid > 0
                ? Optional.of(new VmProcess(pid, optional(o, "unit"), optional(o, "cmdline").orElse("")))
                : Optional.empty();
        if (!status.equals("running") && !status.equals("stopped")) {
            throw new IllegalArgumentException("unknown status " + status);
        }
        return new Vm(text(o, "id"), text(o, "name"), text(o, "template"), text(o, "guestAddress"), text(o, "tap"),
                text(o, "mac"), integer(o, "sshPort"), integer(o, "vcpuCount"), integer(o, "memSizeMib"),
                integer(o, "diskSizeGib"), longValue(o, "createdAtMillis"), text(o, "hypervisor"),
                optional(o, "kernelVersion"), process, Optional.empty());
    }

    private static String text(JsonObject o, String field) {
        return optional(o, field).orElseThrow(() -> new IllegalArgumentException(field + " is missing"));
    }

    private static Optional<String> optional(JsonObject o, String field) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            return Optional.empty();
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException(field + " is not a string");
        }
        return Optional.of(e.getAsString());
    }

    private static long longValue(JsonObject o, String field) {
        JsonElement e = o.get(field);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(field + " is not a number");
        }
        try {
            return e.getAsBigDecimal().longValueExact();
        } catch (ArithmeticException ex) {
            throw new IllegalArgumentException(field + " is not a whole number");
        }
    }

    private static int integer(JsonObject o, String field) {
        long v = longValue(o, field);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(field + " is out of range");
        }
        return (int) v;
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
