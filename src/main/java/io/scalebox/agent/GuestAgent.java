package io.scalebox.agent;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The qemu-guest-agent commands Scalebox uses, over one VM's {@link AgentSession}, each answer
 * checked as a claim: numbers in range, base64 strict, a read never longer than asked. What the
 * guest says is used for the guest only (its own files and processes), never as a host path or
 * an address.
 */
public final class GuestAgent {
    /** Control calls: short. */
    public static final Duration CALL = Duration.ofSeconds(10);
    /** The largest chunk of a file read or written in one call (1 MiB; base64 fits a frame). */
    public static final int CHUNK = 1024 * 1024;
    private final AgentSession session;

    public GuestAgent(AgentSession session) {
        this.session = session;
    }

    /** {@code guest-exec}: starts {@code path} with {@code args} and exactly {@code env}; the guest's pid. */
    public long exec(String path, List<String> args, List<String> env, boolean captureOutput) throws AgentException {
        return exec(path, args, env, captureOutput, Optional.empty());
    }

    /** As {@link #exec(String, List, List, boolean)}, {@code input} on the process's standard input. */
    public long exec(String path, List<String> args, List<String> env, boolean captureOutput,
                     Optional<byte[]> input) throws AgentException {
        JsonObject a = new JsonObject();
        a.addProperty("path", path);
        a.add("arg", strings(args));
        a.add("env", strings(env));
        a.addProperty("capture-output", captureOutput);
        input.ifPresent(bytes -> a.addProperty("input-data", Base64.getEncoder().encodeToString(bytes)));
        JsonElement r = session.call("guest-exec", a, CALL);
        return positive(field(r, "pid"), "pid");
    }

    /** What {@code guest-exec-status} says of a process (its record is freed by the first "exited" answer). */
    public record Status(boolean exited, Optional<Integer> exitCode, Optional<Integer> signal, byte[] out, byte[] err,
                         boolean outTruncated, boolean errTruncated) {
    }

    public Status execStatus(long pid) throws AgentException {
        JsonObject a = new JsonObject();
        a.addProperty("pid", pid);
        JsonObject r = object(session.call("guest-exec-status", a, CALL));
        boolean exited = bool(r, "exited");
        return new Status(exited, optionalInt(r, "exitcode", 0, 255), optionalInt(r, "signal", 1, 64),
                base64(r, "out-data"), base64(r, "err-data"), r.has("out-truncated") && bool(r, "out-truncated"),
                r.has("err-truncated") && bool(r, "err-truncated"));
    }

    public long fileOpen(String path, String mode) throws AgentException {
        JsonObject a = new JsonObject();
        a.addProperty("path", path);
        a.addProperty("mode", mode);
        return positive(session.call("guest-file-open", a, CALL), "handle");
    }

    /** A chunk of at most {@code count} bytes, and whether the file ended. */
    public record Chunk(byte[] bytes, boolean eof) {
    }

    public Chunk fileRead(long handle, int count) throws AgentException {
        JsonObject a = new JsonObject();
        a.addProperty("handle", handle);
        a.addProperty("count", count);
        JsonObject r = object(session.call("guest-file-read", a, CALL));
        byte[] bytes = base64(r, "buf-b64");
        long claimed = positiveOrZero(field(r, "count"), "count");
        if (bytes.length > count || claimed != bytes.length) {
            throw bad("a read of more than was asked, or miscounted");
        }
        return new Chunk(bytes, bool(r, "eof"));
    }

    public void fileWrite(long handle, byte[] bytes) throws AgentException {
        JsonObject a = new JsonObject();
        a.addProperty("handle", handle);
        a.addProperty("buf-b64", Base64.getEncoder().encodeToString(bytes));
        JsonObject r = object(session.call("guest-file-write", a, CALL));
        if (positiveOrZero(field(r, "count"), "count") != bytes.length) {
            throw new AgentException(AgentException.Kind.FAILED, "the guest wrote " + field(r, "count") + " of "
                    + bytes.length + " bytes (disk full?)");
        }
    }

    /** Moves to {@code offset} from the start; the position the guest reports. */
    public long fileSeek(long handle, long offset) throws AgentException {
        JsonObject a = new JsonObject();
        a.addProperty("handle", handle);
        a.addProperty("offset", offset);
        a.addProperty("whence", "set");
        return positiveOrZero(field(session.call("guest-file-seek", a, CALL), "position"), "position");
    }

    public void fileClose(long handle) throws AgentException {
        JsonObject a = new JsonObject();
        a.addProperty("handle", handle);
        session.call("guest-file-close", a, CALL);
    }

    /** {@code guest-get-time}: the guest's clock in nanoseconds since the epoch (its word: it sets only itself by it). */
    public long getTime() throws AgentException {
        com.google.gson.JsonElement r = session.call("guest-get-time", null, CALL);
        if (r == null || !r.isJsonPrimitive() || !r.getAsJsonPrimitive().isNumber()) {
            throw bad("guest-get-time: the answer is not a number");
        }
        try {
            return r.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
        } catch (ArithmeticException e) {
            throw bad("guest-get-time: the answer is not a whole number of nanoseconds");
        }
    }

    /** {@code guest-set-time} to the host's clock, in nanoseconds since the epoch. */
    public void setTime(long epochNanos) throws AgentException {
        JsonObject a = new JsonObject();
        a.addProperty("time", epochNanos);
        session.call("guest-set-time", a, CALL);
    }

    /** A claim no agent makes: the connection is dropped, and the call fails as a protocol error. */
    private AgentException bad(String message) {
        session.distrust();
        return new AgentException(AgentException.Kind.PROTOCOL, message);
    }

    private static JsonArray strings(List<String> values) {
        JsonArray out = new JsonArray();
        values.forEach(out::add);
        return out;
    }

    private JsonObject object(JsonElement e) throws AgentException {
        if (!e.isJsonObject()) {
            throw bad("an answer that is not an object");
        }
        return e.getAsJsonObject();
    }

    private JsonElement field(JsonElement e, String name) throws AgentException {
        JsonElement f = object(e).get(name);
        if (f == null) {
            throw bad("an answer without " + name);
        }
        return f;
    }

    private long positive(JsonElement e, String what) throws AgentException {
        long v = positiveOrZero(e, what);
        if (v == 0) {
            throw bad("a " + what + " of 0");
        }
        return v;
    }

    private long positiveOrZero(JsonElement e, String what) throws AgentException {
        try {
            long v = e.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
            if (v < 0 || v > Integer.MAX_VALUE * 16L) {
                throw bad("a " + what + " out of range");
            }
            return v;
        } catch (RuntimeException ex) {
            throw bad("a " + what + " that is not a whole number");
        }
    }

    private Optional<Integer> optionalInt(JsonObject o, String name, int min, int max) throws AgentException {
        if (!o.has(name)) {
            return Optional.empty();
        }
        long v = positiveOrZero(o.get(name), name);
        if (v < min || v > max) {
            throw bad("a " + name + " out of range");
        }
        return Optional.of((int) v);
    }

    private boolean bool(JsonObject o, String name) throws AgentException {
        JsonElement e = o.get(name);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw bad("an answer without a boolean " + name);
        }
        return e.getAsBoolean();
    }

    private byte[] base64(JsonObject o, String name) throws AgentException {
        JsonElement e = o.get(name);
        if (e == null) {
            return new byte[0];
        }
        try {
            return Base64.getDecoder().decode(e.getAsString());
        } catch (RuntimeException ex) {
            throw bad(name + " is not base64");
        }
    }
}
