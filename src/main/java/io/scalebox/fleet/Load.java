package io.scalebox.fleet;

import com.google.gson.JsonObject;

/** What a host has and has given out, as it publishes it in its alive record (placement reads it). */
public record Load(int cpus, long memTotalMib, long memFreeMib, int vcpusAllocated, long memAllocatedMib,
                   long diskFreeBytes, int vms) {
    public static final Load NONE = new Load(0, 0, 0, 0, 0, 0, 0);

    void write(JsonObject o) {
        o.addProperty("cpus", cpus);
        o.addProperty("mem_total_mib", memTotalMib);
        o.addProperty("mem_free_mib", memFreeMib);
        o.addProperty("vcpus_allocated", vcpusAllocated);
        o.addProperty("mem_allocated_mib", memAllocatedMib);
        o.addProperty("disk_free_bytes", diskFreeBytes);
        o.addProperty("vms", vms);
    }

    static Load read(JsonObject o) {
        return new Load(i(o, "cpus"), l(o, "mem_total_mib"), l(o, "mem_free_mib"), i(o, "vcpus_allocated"),
                l(o, "mem_allocated_mib"), l(o, "disk_free_bytes"), i(o, "vms"));
    }

    private static int i(JsonObject o, String f) {
        return o.has(f) && o.get(f).isJsonPrimitive() ? o.get(f).getAsInt() : 0;
    }

    private static long l(JsonObject o, String f) {
        return o.has(f) && o.get(f).isJsonPrimitive() ? o.get(f).getAsLong() : 0;
    }
}
