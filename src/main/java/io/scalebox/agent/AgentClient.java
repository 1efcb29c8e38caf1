package io.scalebox.agent;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * A connection to one guest's qemu-guest-agent (QMP-style JSON, one request at a time). It is
 * synchronised with {@code guest-sync-delimited} when opened and again after any call that
 * timed out, so that a late answer is never taken for the next one; each request carries a
 * random id the answer must echo. Answers are parsed with a nesting limit and must be UTF-8;
 * anything else closes the connection ({@link AgentException.Kind#PROTOCOL}). Not thread-safe:
 * {@link AgentSession} lets one caller at a time in.
 */
final class AgentClient implements AutoCloseable {
    static final int MAX_DEPTH = 16;
    private static final SecureRandom RANDOM = new SecureRandom();
    private final AgentWire wire;
    private boolean needsSync = true;
    private boolean broken;

    AgentClient(AgentWire wire) {
        this.wire = wire;
    }

    /** Synchronises the channel (at connect, and after a timeout): stale bytes are skipped. */
    void sync(Duration timeout) throws AgentException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long id = RANDOM.nextLong() & Long.MAX_VALUE;
        try {
            wire.discardPending();
            byte[] request = ("{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":" + id + "}}\n")
                    .getBytes(StandardCharsets.US_ASCII);
            byte[] out = new byte[request.length + 1];
            out[0] = (byte) 0xFF; // resets the agent's parser, whatever it was in the middle of
            System.arraycopy(request, 0, out, 1, request.length);
            wire.write(out, deadline);
            wire.skipToSentinel(deadline);
            JsonObject answer = parse(wire.readLine(deadline));
            JsonElement ret = answer.get("return");
            if (ret == null || !ret.isJsonPrimitive() || !ret.getAsJsonPrimitive().isNumber()
                    || !ret.getAsString().equals(Long.toString(id))) {
                throw new AgentException(AgentException.Kind.PROTOCOL, "the agent's sync answer is not ours");
            }
            needsSync = false;
        } catch (AgentException e) {
            broken = true;
            throw e;
        }
    }

    /**
     * Runs one command and returns its "return" value (JSON null when the answer has none).
     * An error answer is thrown as FAILED or DISABLED; after a timeout the next call
     * synchronises first; a protocol error leaves the client {@link #broken}.
     */
    JsonElement call(String command, JsonObject arguments, Duration timeout) throws AgentException {
        if (broken) {
            throw new AgentException(AgentException.Kind.UNAVAILABLE, "the agent's channel is closed");
        }
        if (needsSync) {
            sync(timeout);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long id = RANDOM.nextLong() & Long.MAX_VALUE;
        JsonObject request = new JsonObject();
        request.addProperty("execute", command);
        if (arguments != null) {
            request.add("arguments", arguments);
        }
        request.addProperty("id", id);
        try {
            wire.discardPending();
            wire.write((request + "\n").getBytes(StandardCharsets.UTF_8), deadline);
            JsonObject answer = parse(wire.readLine(deadline));
            JsonElement echoed = answer.get("id");
            if (echoed == null || !echoed.isJsonPrimitive() || !echoed.getAsString().equals(Long.toString(id))) {
                throw new AgentException(AgentException.Kind.PROTOCOL, "an answer to another request (id)");
            }
            if (answer.has("error")) {
                throw error(answer.get("error"));
            }
            JsonElement ret = answer.get("return");
            if (ret == null) {
                throw new AgentException(AgentException.Kind.PROTOCOL, "an answer with neither return nor error");
            }
            return ret;
        } catch (AgentException e) {
            switch (e.kind()) {
                case TIMEOUT -> needsSync = true;
                case PROTOCOL, UNAVAILABLE -> broken = true;
                default -> { }
            }
            throw e;
        }
    }

    /** Whether the connection must be dropped (a protocol error, a broken channel). */
    boolean broken() {
        return broken;
    }

    private static AgentException error(JsonElement error) {
        String cls = "";
        String desc = "";
        if (error.isJsonObject()) {
            JsonObject o = error.getAsJsonObject();
            cls = text(o, "class");
            desc = text(o, "desc");
        }
        AgentException.Kind kind = cls.equals("CommandNotFound") || desc.contains("has been disabled")
                ? AgentException.Kind.DISABLED : AgentException.Kind.FAILED;
        return new AgentException(kind, AgentException.quote(desc.isEmpty() ? cls : desc), AgentException.quote(cls));
    }

    private static String text(JsonObject o, String field) {
        JsonElement e = o.get(field);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : "";
    }

    /** One answer: UTF-8, a JSON object, nested at most {@link #MAX_DEPTH} deep. */
    static JsonObject parse(byte[] line) throws AgentException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(line)).toString();
        } catch (CharacterCodingException e) {
            throw new AgentException(AgentException.Kind.PROTOCOL, "an answer that is not UTF-8");
        }
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setNestingLimit(MAX_DEPTH);
            JsonElement e = JsonParser.parseReader(reader);
            if (!e.isJsonObject()) {
                throw new AgentException(AgentException.Kind.PROTOCOL, "an answer that is not a JSON object");
            }
            return e.getAsJsonObject();
        } catch (RuntimeException e) {
            throw new AgentException(AgentException.Kind.PROTOCOL, "a malformed answer: "
                    + AgentException.quote(String.valueOf(e.getMessage())));
        }
    }

    @Override
    public void close() {
        wire.close();
    }
}
