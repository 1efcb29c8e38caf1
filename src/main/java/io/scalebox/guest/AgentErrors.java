package io.scalebox.guest;

import io.scalebox.agent.AgentException;
import io.scalebox.metrics.Metrics;
import io.scalebox.vm.ErrorCode;
import io.scalebox.vm.VmException;
import java.util.Locale;

/** A failed agent call as the API's error (README: error codes), counted by kind. */
final class AgentErrors {
    private AgentErrors() {
    }

    static VmException of(AgentException e, Metrics metrics) {
        metrics.agentError(e.kind().name().toLowerCase(Locale.ROOT));
        ErrorCode code = switch (e.kind()) {
            case UNAVAILABLE -> ErrorCode.AGENT_UNAVAILABLE;
            case BUSY -> ErrorCode.AGENT_BUSY;
            case TIMEOUT -> ErrorCode.AGENT_TIMEOUT;
            case PROTOCOL -> ErrorCode.AGENT_PROTOCOL_ERROR;
            case DISABLED -> ErrorCode.AGENT_COMMAND_DISABLED;
            case FAILED -> notFound(e) ? ErrorCode.FILE_NOT_FOUND
                    : e.getMessage().contains("No space left") ? ErrorCode.GUEST_DISK_FULL : ErrorCode.FILE_FAILED;
        };
        return new VmException(code, "The VM's agent: " + e.getMessage(), e);
    }

    /** The guest said the file does not exist. */
    static boolean notFound(AgentException e) {
        return e.kind() == AgentException.Kind.FAILED && e.getMessage().contains("No such file");
    }
}
