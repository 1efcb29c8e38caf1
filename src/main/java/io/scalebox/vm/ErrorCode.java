package io.scalebox.vm;

import java.util.Locale;

/**
 * The stable, machine-readable cause of an engine refusal or failure (api.md "Error codes"):
 * clients branch on {@link #key()}, never on the message. Each has the {@link VmException.Reason}
 * that decides its HTTP status. README lists them all.
 */
public enum ErrorCode {
    VM_NOT_FOUND(VmException.Reason.NOT_FOUND),
    TEMPLATE_NOT_FOUND(VmException.Reason.NOT_FOUND),
    NAME_TAKEN(VmException.Reason.CONFLICT),
    TEMPLATE_EXISTS(VmException.Reason.CONFLICT),
    TEMPLATE_BUSY(VmException.Reason.CONFLICT),
    TEMPLATE_PROTECTED(VmException.Reason.FORBIDDEN),
    CAPACITY_ADDRESSES(VmException.Reason.UNAVAILABLE),
    CAPACITY_PORTS(VmException.Reason.UNAVAILABLE),
    KERNEL_NOT_READY(VmException.Reason.UNAVAILABLE),
    BASE_TEMPLATE_NOT_READY(VmException.Reason.UNAVAILABLE),
    INSUFFICIENT_SPACE(VmException.Reason.INSUFFICIENT_STORAGE),
    STORAGE_CHECK_FAILED(VmException.Reason.FAILED),
    /** Copying, resizing or editing a disk image failed (create phases clone, key). */
    DISK_FAILED(VmException.Reason.FAILED),
    /** The VM's TAP, firewall rules or port proxy could not be set up (create phase network). */
    NETWORK_FAILED(VmException.Reason.FAILED),
    /** The hypervisor did not start or refused the configuration (create phase boot). */
    HYPERVISOR_FAILED(VmException.Reason.FAILED),
    RECORD_FAILED(VmException.Reason.FAILED),
    SNAPSHOT_FAILED(VmException.Reason.FAILED),
    TEMPLATE_DELETE_FAILED(VmException.Reason.FAILED),
    CONSOLE_FAILED(VmException.Reason.FAILED),
    /** Pause of a VM that does not run. */
    VM_NOT_RUNNING(VmException.Reason.CONFLICT),
    /** Resume of a VM that is not paused. */
    VM_NOT_PAUSED(VmException.Reason.CONFLICT),
    /** Start or stop of a paused VM (resume it, or start it discarding its state). */
    VM_PAUSED(VmException.Reason.CONFLICT),
    /** A paused VM's state was saved by a hypervisor this host no longer runs. */
    STATE_INCOMPATIBLE(VmException.Reason.CONFLICT),
    PAUSE_FAILED(VmException.Reason.FAILED),
    RESUME_FAILED(VmException.Reason.FAILED),
    /** A template's warm state could not be built (its builder VM did not boot, answer or save). */
    WARM_FAILED(VmException.Reason.FAILED),
    /** The VM's agent does not answer: the VM is stopped, still booting, or its image has none. */
    AGENT_UNAVAILABLE(VmException.Reason.CONFLICT),
    /** Too many calls wait for this VM's agent. */
    AGENT_BUSY(VmException.Reason.TOO_MANY),
    /** The agent did not answer in time. */
    AGENT_TIMEOUT(VmException.Reason.TIMEOUT),
    /** The agent's answer was oversized, malformed or not ours: its channel was closed. */
    AGENT_PROTOCOL_ERROR(VmException.Reason.BAD_GATEWAY),
    /** The agent refuses the command (disabled in the guest). */
    AGENT_COMMAND_DISABLED(VmException.Reason.NOT_IMPLEMENTED),
    /** The command could not be started (no such user or directory). */
    EXEC_FAILED(VmException.Reason.UNPROCESSABLE),
    EXEC_NOT_FOUND(VmException.Reason.NOT_FOUND),
    /** As many commands run host-wide as the daemon allows. */
    CAPACITY_EXECS(VmException.Reason.UNAVAILABLE),
    FILE_NOT_FOUND(VmException.Reason.NOT_FOUND),
    IS_A_DIRECTORY(VmException.Reason.CONFLICT),
    NOT_A_DIRECTORY(VmException.Reason.CONFLICT),
    FILE_TOO_LARGE(VmException.Reason.TOO_LARGE),
    /** The guest's file system is full. */
    GUEST_DISK_FULL(VmException.Reason.INSUFFICIENT_STORAGE),
    /** The guest refused a file operation (permissions, a read-only file system). */
    FILE_FAILED(VmException.Reason.UNPROCESSABLE);

    private final VmException.Reason reason;

    ErrorCode(VmException.Reason reason) {
        this.reason = reason;
    }

    public VmException.Reason reason() {
        return reason;
    }

    /** The wire form: snake_case. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
