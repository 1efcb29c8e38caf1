package io.scalebox.api;

import io.scalebox.guest.ExecRecord;
import io.scalebox.guest.ExecResult;
import io.scalebox.guest.ExecSpec;
import io.scalebox.guest.Execs;
import io.scalebox.guest.GuestFiles;
import io.scalebox.vm.Vm;
import io.scalebox.vm.VmException;
import io.scalebox.vm.VmManager;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Commands and files in a VM without SSH, through its agent: {@code /vms/{id}/exec} (foreground,
 * or background with an exec id to poll, follow and kill) and {@code /vms/{id}/files}. They
 * wait on a guest, so they run on the {@link SlowRequests} threads; file bodies stream both ways
 * in 1 MiB chunks, never held whole.
 */
public final class GuestResource {
    /** The largest file an upload may write. */
    static final long MAX_FILE = 1024L * 1024 * 1024;
    /** What one poll of a background command returns of each stream at most. */
    static final long MAX_POLL = 1024 * 1024;
    private final VmManager manager;
    private final Execs execs;
    private final GuestFiles files;
    private final SlowRequests slow;

    public GuestResource(VmManager manager, Execs execs, GuestFiles files, SlowRequests slow) {
        this.manager = manager;
        this.execs = execs;
        this.files = files;
        this.slow = slow;
    }

    public List<Route> routes() {
        return List.of(
                Route.authenticated("POST", "/vms/{id}/exec", this::exec).body(GuestRequests.EXEC_BODY).slowly(),
                Route.authenticated("GET", "/vms/{id}/exec/{exec}", this::poll).slowly(),
                Route.authenticated("DELETE", "/vms/{id}/exec/{exec}", r -> {
                    execs.delete(vm(r).id(), r.param("exec"));
                    return Response.noContent();
                }).slowly(),
                Route.stream("GET", "/vms/{id}/exec/{exec}/stream", this::follow),
                Route.stream("PUT", "/vms/{id}/files", this::upload).body(MAX_FILE),
                Route.stream("GET", "/vms/{id}/files", this::download),
                Route.authenticated("DELETE", "/vms/{id}/files", r -> {
                    files.delete(vm(r).id(), GuestRequests.path(r.query("path").orElse(null), "path"),
                            GuestRequests.flag(r.query("recursive"), "recursive"));
                    return Response.noContent();
                }).slowly(),
                Route.authenticated("GET", "/vms/{id}/files/list", this::list).slowly());
    }

    private Vm vm(Request r) throws VmException {
        return manager.get(r.param("id"));
    }

    private Response exec(Request r) throws ApiException, VmException {
        Vm vm = vm(r);
        ExecSpec spec = GuestRequests.exec(r.jsonObject());
        if (spec.background()) {
            return new Response(202, record(execs.start(vm.id(), spec)));
        }
        ExecResult x = execs.run(vm.id(), spec);
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("exit_code", x.exitCode().orElse(null));
        out.put("signal", x.signal().orElse(null));
        out.put("timed_out", x.timedOut());
        Output.put(out, "stdout", x.stdout(), spec.base64());
        Output.put(out, "stderr", x.stderr(), spec.base64());
        out.put("stdout_truncated", x.stdoutTruncated());
        out.put("stderr_truncated", x.stderrTruncated());
        out.put("duration_ms", x.durationMs());
        return Response.ok(out);
    }

    /** A background command's state, and its output from the offsets asked ({@code ?stdout_offset=&stderr_offset=&max_bytes=}). */
    private Response poll(Request r) throws ApiException, VmException {
        Vm vm = vm(r);
        ExecRecord rec = execs.get(vm.id(), r.param("exec"));
        long max = GuestRequests.queryLong(r.query("max_bytes"), "max_bytes", 64 * 1024, MAX_POLL);
        Map<String, Object> out = record(rec);
        for (String stream : List.of("stdout", "stderr")) {
            long offset = GuestRequests.queryLong(r.query(stream + "_offset"), stream + "_offset", 0, Long.MAX_VALUE);
            var chunk = execs.output(vm.id(), rec.execId(), stream, offset, (int) max);
            Output.put(out, stream, chunk.bytes(), rec.base64());
            out.put(stream + "_offset", offset + chunk.bytes().length);
            out.put(stream + "_more", chunk.more());
        }
        return Response.ok(out);
    }

    private static Map<String, Object> record(ExecRecord rec) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("exec_id", rec.execId());
        out.put("status", rec.state().name());
        out.put("exit_code", rec.exitCode().orElse(null));
        out.put("signal", rec.signal().orElse(null));
        out.put("timed_out", rec.timedOut());
        out.put("started_at", Json.time(Instant.ofEpochMilli(rec.startedAtMillis())));
        out.put("finished_at", rec.finishedAtMillis() == 0 ? null : Json.time(Instant.ofEpochMilli(rec.finishedAtMillis())));
        return out;
    }

    /** {@code GET …/stream}: the command's output as it comes, one JSON object a line, then how it ended. */
    private void follow(HttpServerExchange exchange) {
        onThread(exchange, () -> {
            Request r = request(exchange);
            Vm vm = vm(r);
            ExecRecord rec = execs.get(vm.id(), r.param("exec"));
            new ExecFollower(execs, vm.id(), rec).stream(exchange);
        });
    }

    private void upload(HttpServerExchange exchange) {
        exchange.setMaxEntitySize(MAX_FILE);
        onThread(exchange, () -> {
            Request r = request(exchange);
            Vm vm = vm(r);
            String path = GuestRequests.path(r.query("path").orElse(null), "path");
            String mode = GuestRequests.mode(r.query("mode"));
            String owner = GuestRequests.owner(r.query("owner"));
            boolean mkdir = GuestRequests.flag(r.query("mkdir"), "mkdir");
            exchange.startBlocking();
            long size = files.put(vm.id(), path, exchange.getInputStream(), MAX_FILE, mode, owner, mkdir);
            Replies.send(exchange, 201, Replies.json(Json.object("path", path, "size_bytes", size, "mode", mode,
                    "owner", owner)));
        });
    }

    private void download(HttpServerExchange exchange) {
        onThread(exchange, () -> {
            Request r = request(exchange);
            Vm vm = vm(r);
            String path = GuestRequests.path(r.query("path").orElse(null), "path");
            GuestFiles.Stat stat = files.stat(vm.id(), path);
            if (stat.type().equals("d")) {
                throw ApiException.from(new VmException(io.scalebox.vm.ErrorCode.IS_A_DIRECTORY,
                        path + " is a directory: GET /vms/{id}/files/list?path= lists it"));
            }
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/octet-stream");
            exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, stat.size());
            exchange.startBlocking();
            long sent = files.get(vm.id(), path, stat.size(), exchange.getOutputStream());
            if (sent < stat.size()) {
                // It shrank: the client must not take it for whole.
                org.xnio.IoUtils.safeClose(exchange.getConnection());
            } else {
                exchange.getOutputStream().close();
            }
        });
    }

    private Response list(Request r) throws ApiException, VmException {
        Vm vm = vm(r);
        String path = GuestRequests.path(r.query("path").orElse(null), "path");
        GuestFiles.Listing listing = files.list(vm.id(), path);
        List<Map<String, Object>> entries = listing.entries().stream().map(e -> Json.object("name", e.name(),
                "type", type(e.type()), "size", e.size(), "mode", String.format("%04o", e.mode()),
                "mtime", Json.time(Instant.ofEpochMilli((long) (e.mtime() * 1000))), "owner", e.owner(),
                "group", e.group())).toList();
        return Response.ok(Json.object("path", path, "entries", entries, "truncated", listing.truncated()));
    }

    /** find's %y letter as a word. */
    static String type(String y) {
        return switch (y) {
            case "f" -> "file";
            case "d" -> "directory";
            case "l" -> "symlink";
            case "p" -> "fifo";
            case "s" -> "socket";
            case "c" -> "char_device";
            case "b" -> "block_device";
            default -> "unknown";
        };
    }

    /** The work of a stream route, on a slow-request thread, its failures as api.md's errors. */
    private void onThread(HttpServerExchange exchange, StreamWork work) {
        try {
            slow.dispatch(exchange, () -> {
                try {
                    work.run();
                } catch (ApiException e) {
                    answerError(exchange, e);
                } catch (VmException e) {
                    answerError(exchange, ApiException.from(e));
                } catch (IOException e) {
                    answerError(exchange, new ApiException(400, "invalid_body", "The transfer broke: " + e.getMessage()));
                }
            });
        } catch (ApiException e) {
            Replies.fail(exchange, e);
        }
    }

    private static void answerError(HttpServerExchange exchange, ApiException e) {
        if (exchange.isResponseStarted()) {
            org.xnio.IoUtils.safeClose(exchange.getConnection()); // the client sees the cut
        } else {
            Replies.fail(exchange, e);
        }
    }

    @FunctionalInterface
    private interface StreamWork {
        void run() throws ApiException, VmException, IOException;
    }

    /** A stream route's path parameters and query, as the other routes get them. */
    private static Request request(HttpServerExchange exchange) {
        Map<String, String> query = new java.util.HashMap<>();
        exchange.getQueryParameters().forEach((k, v) -> query.put(k, v.peekFirst()));
        Map<String, String> params = new java.util.HashMap<>();
        String[] path = exchange.getRequestPath().split("/");
        // /vms/{id}/... and /vms/{id}/exec/{exec}/stream
        if (path.length > 2) {
            params.put("id", path[2]);
        }
        if (path.length > 4 && path[3].equals("exec")) {
            params.put("exec", path[4]);
        }
        return new Request(params, query, new byte[0]);
    }

    /** Output bytes as JSON: text when UTF-8 and not asked otherwise, else base64 under {@code <name>_b64}. */
    static final class Output {
        private Output() {
        }

        static void put(Map<String, Object> out, String name, byte[] bytes, boolean base64) {
            Optional<String> text = base64 ? Optional.empty() : utf8(bytes);
            out.put(name, text.orElse(null));
            if (text.isEmpty()) {
                out.put(name + "_b64", java.util.Base64.getEncoder().encodeToString(bytes));
            }
        }

        static Optional<String> utf8(byte[] bytes) {
            try {
                return Optional.of(java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(bytes)).toString());
            } catch (java.nio.charset.CharacterCodingException e) {
                return Optional.empty();
            }
        }
    }
}
