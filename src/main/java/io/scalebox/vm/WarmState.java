package io.scalebox.vm;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A template's warm state as {@code warm.json} describes it: what it was built from (the
 * template file, the kernel, the hypervisor's state format, the VM's shape), its size and
 * when. A create uses it only while all of that is still what a boot would use.
 */
record WarmState(Source source, long stateBytes, long builtAtMillis) {
    static final String FILE = "warm.json";
    private static final Gson GSON = new Gson();

    /** What the state depends on: any change and it is rebuilt, never used. */
    record Source(String template, long templateBytes, long templateMtimeMillis, String kernel, String format,
                  int vcpuCount, int memSizeMib, int diskSizeGib) {
    }

    /** The file's content as written (flat, versioned). */
    private static final class Json {
        int version = 1;
        String template;
        long template_bytes;
        long template_mtime_ms;
        String kernel;
        String format;
        int vcpu_count;
        int mem_size_mib;
        int disk_size_gib;
        long state_bytes;
        long built_at_ms;
    }

    void write(Path dir) throws IOException {
        Json j = new Json();
        j.template = source.template();
        j.template_bytes = source.templateBytes();
        j.template_mtime_ms = source.templateMtimeMillis();
        j.kernel = source.kernel();
        j.format = source.format();
        j.vcpu_count = source.vcpuCount();
        j.mem_size_mib = source.memSizeMib();
        j.disk_size_gib = source.diskSizeGib();
        j.state_bytes = stateBytes;
        j.built_at_ms = builtAtMillis;
        Files.writeString(dir.resolve(FILE), GSON.toJson(j));
    }

    /** The state described in {@code dir}; empty when there is none or it cannot be read. */
    static Optional<WarmState> read(Path dir) {
        try {
            Json j = GSON.fromJson(Files.readString(dir.resolve(FILE)), Json.class);
            if (j == null || j.version != 1 || j.template == null || j.kernel == null || j.format == null) {
                return Optional.empty();
            }
            return Optional.of(new WarmState(new Source(j.template, j.template_bytes, j.template_mtime_ms, j.kernel,
                    j.format, j.vcpu_count, j.mem_size_mib, j.disk_size_gib), j.state_bytes, j.built_at_ms));
        } catch (IOException | JsonParseException e) {
            return Optional.empty();
        }
    }
}
