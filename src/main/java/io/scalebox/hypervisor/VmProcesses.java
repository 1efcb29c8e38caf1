package io.scalebox.hypervisor;

import io.scalebox.host.CommandException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The hypervisor processes (and systemd units) of VMs, once started ({@link ProcessLauncher}). */
public interface VmProcesses {
    /** The process exists and is still the one recorded (a recycled PID is not). */
    boolean alive(VmProcess process);

    /** Asks the guest to power off, waits up to VM_STOP_TIMEOUT, then forces what is left. */
    GuestShutdown.Outcome powerOff(VmProcess process, GuestShutdown.Request request);

    /** Forces the process off at once and waits for it. */
    void stop(VmProcess process);

    /** The units named scalebox-vm-*.service; empty where VMs do not run as units. */
    List<String> units() throws CommandException;

    /** Ends a unit at once. */
    void stopUnit(String unit);

    /** Whether the unit has the clean-stop ExecStop (units of older versions do not). */
    boolean stopsCleanly(String unit);

    /** Running processes of {@code binaries} whose arguments name a VM directory under {@code vmsDir}: PID to VM id. */
    Map<Long, String> hypervisorsUnder(Path vmsDir, Set<Path> binaries);

    /** Sends SIGTERM to a process found by {@link #hypervisorsUnder}. */
    void end(long pid);

    /**
     * The host is shutting down (systemd says "stopping"): VMs end because of it, and must
     * still count as running, so that they boot again after the reboot.
     */
    boolean hostStopping();
}
