package io.scalebox.guest;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Optional;

/**
 * A background command, as kept in {@code DATA_DIR/vms/<vm>/execs/<exec id>.json} so that its
 * status and output outlive a restart of the daemon: where it runs, until when it may, and once
 * it has ended, how. Immutable; each change is a new record.
 */
public record ExecRecord(String execId, String vmId, long pid, long startedAtMillis, long deadlineMillis,
                         int maxOutputBytes, boolean base64, State state, Optional<Integer> exitCode,
                         Optional<Integer> signal, boolean timedOut, long finishedAtMillis) {
    /** running: the agent has not said it ended; exited: it has; lost: the VM stopped or its agent forgot it. */
    public enum State { running, exited, lost }

    static ExecRecord started(String execId, String vmId, long pid, long now, long deadline, ExecSpec spec) {
        return new ExecRecord(execId, vmId, pid, now, deadline, spec.maxOutputBytes(), spec.base64(), State.running,
                Optional.empty(), Optional.empty(), false, 0);
    }

    ExecRecord ended(GuestExec.End end, boolean timedOut, long now) {
        return new ExecRecord(execId, vmId, pid, startedAtMillis, deadlineMillis, maxOutputBytes, base64, State.exited,
                end.exitCode(), end.signal(), timedOut, now);
    }

    ExecRecord lost(long now) {
        return new ExecRecord(execId, vmId, pid, startedAtMillis, deadlineMillis, maxOutputBytes, base64, State.lost,
                Optional.empty(), Optional.empty(), false, now);
    }

    String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("exec_id", execId);
        o.addProperty("vm_id", vmId);
        o.addProperty("pid", pid);
        o.addProperty("started_at_millis", startedAtMillis);
        o.addProperty("deadline_millis", deadlineMillis);
        o.addProperty("max_output_bytes", maxOutputBytes);
        o.addProperty("base64", base64);
        o.addProperty("state", state.name());
        exitCode.ifPresent(c -> o.addProperty("exit_code", c));
        signal.ifPresent(s -> o.addProperty("signal", s));
        o.addProperty("timed_out", timedOut);
        o.addProperty("finished_at_millis", finishedAtMillis);
        return o.toString();
    }

    /** A record written by this daemon; anything else is refused (the caller moves it aside). */
    static ExecRecord parse(String text) {
        JsonObject o = JsonParser.parseString(text).getAsJsonObject();
        return new ExecRecord(o.get("exec_id").getAsString(), o.get("vm_id").getAsString(), o.get("pid").getAsLong(),
                o.get("started_at_millis").getAsLong(), o.get("deadline_millis").getAsLong(),
                o.get("max_output_bytes").getAsInt(), o.get("base64").getAsBoolean(),
                State.valueOf(o.get("state").getAsString()), optionalInt(o, "exit_code"), optionalInt(o, "signal"),
                o.get("timed_out").getAsBoolean(), o.get("finished_at_millis").getAsLong());
    }

    private static Optional<Integer> optionalInt(JsonObject o, String name) {
        JsonElement e = o.get(name);
        return e == null || e.isJsonNull() ? Optional.empty() : Optional.of(e.getAsInt());
    }
}
