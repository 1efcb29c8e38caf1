package io.scalebox.api;

import io.scalebox.guest.ExecRecord;
import io.scalebox.guest.Execs;
import io.scalebox.vm.VmException;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /vms/{id}/exec/{exec}/stream}: a background command's output as it comes, one JSON
 * object a line ({@code {"stream":"stdout","data":…}}, or {@code data_b64} for bytes that are not
 * UTF-8), then one with how it ended. Built from the same reads as a poll, a chunk of at most
 * 64 KiB per stream at a time; it ends with the command (or at its deadline), or when the
 * client goes.
 */
final class ExecFollower {
    private static final int CHUNK = 64 * 1024;
    private static final long IDLE_MILLIS = 200;
    private final Execs execs;
    private final String vmId;
    private final String execId;

    ExecFollower(Execs execs, String vmId, ExecRecord record) {
        this.execs = execs;
        this.vmId = vmId;
        this.execId = record.execId();
    }

    void stream(HttpServerExchange exchange) throws VmException, IOException {
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/x-ndjson");
        exchange.startBlocking();
        OutputStream out = exchange.getOutputStream();
        long[] offsets = {0, 0};
        String[] streams = {"stdout", "stderr"};
        ExecRecord rec = execs.get(vmId, execId);
        long until = rec.deadlineMillis() + 60_000;
        while (System.currentTimeMillis() < until) {
            boolean any = false;
            boolean more = false;
            rec = execs.get(vmId, execId); // read before the output: an end seen here has all its output written
            for (int i = 0; i < 2; i++) {
                var chunk = execs.output(vmId, execId, streams[i], offsets[i], CHUNK);
                if (chunk.bytes().length > 0) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("stream", streams[i]);
                    GuestResource.Output.put(line, "data", chunk.bytes(), rec.base64());
                    write(out, line);
                    offsets[i] += chunk.bytes().length;
                    any = true;
                }
                more |= chunk.more();
            }
            if (rec.state() != ExecRecord.State.running && !any && !more) {
                Map<String, Object> end = new LinkedHashMap<>();
                end.put("status", rec.state().name());
                end.put("exit_code", rec.exitCode().orElse(null));
                end.put("signal", rec.signal().orElse(null));
                end.put("timed_out", rec.timedOut());
                write(out, end);
                break;
            }
            if (!any) {
                sleep();
            }
        }
        out.close();
    }

    private static void write(OutputStream out, Map<String, Object> line) throws IOException {
        out.write((Json.GSON.toJson(line) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sleep() {
        try {
            Thread.sleep(IDLE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
