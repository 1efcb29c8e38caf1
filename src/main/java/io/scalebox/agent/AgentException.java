package io.scalebox.agent;

import java.io.IOException;

/**
 * A call to a guest's agent that did not give an answer to use, and why: the API's error code
 * follows from {@link Kind}. Messages quote the guest only cut short and escaped.
 */
public final class AgentException extends IOException {
    /** What went wrong, from the host's side of the wire. */
    public enum Kind {
        /** No agent (yet): the VM is stopped, booting, or its image has none. */
        UNAVAILABLE,
        /** Too many calls already wait for this VM's agent. */
        BUSY,
        /** No (complete) answer within the deadline; the channel is synchronised again. */
        TIMEOUT,
        /** Oversized, malformed, deep or forged answer: the channel is closed. */
        PROTOCOL,
        /** The agent refuses the command (disabled, unknown). */
        DISABLED,
        /** The agent answered with an error (a file that is not there, a command that cannot start). */
        FAILED
    }

    /** Longest stretch of guest text that goes into a message. */
    static final int QUOTE = 512;
    private final Kind kind;
    /** The error class the agent gave (FAILED, DISABLED), e.g. "GenericError". */
    private final String agentClass;

    public AgentException(Kind kind, String message) {
        this(kind, message, "");
    }

    AgentException(Kind kind, String message, String agentClass) {
        super(message);
        this.kind = kind;
        this.agentClass = agentClass;
    }

    public Kind kind() {
        return kind;
    }

    public String agentClass() {
        return agentClass;
    }

    /** Guest text fit for a log line or an API error: at most {@link #QUOTE} characters, controls escaped. */
    public static String quote(String guestText) {
        String s = guestText.length() > QUOTE ? guestText.substring(0, QUOTE) + "…" : guestText;
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
