package io.scalebox.hypervisor;

/** One backend (QEMU, Firecracker): boots a VM's process and controls it afterwards. */
public interface Hypervisor {
    HypervisorKind kind();

    /** Starts the VM; on failure nothing of it runs any more. Returns the process. */
    VmProcess start(VmSpec spec) throws HypervisorException;

    void pause(VmSpec spec) throws HypervisorException;

    void resume(VmSpec spec) throws HypervisorException;

    /**
     * Saves the running VM's memory and device state into {@code dir} (the daemon's directory;
     * files the hypervisor cannot write), then ends its process. Returns the state's size in bytes.
     */
    long save(VmSpec spec, VmProcess process, java.nio.file.Path dir) throws HypervisorException;

    /** Starts the VM from a state {@link #save}d in {@code dir}: it runs on from where it was. */
    VmProcess restore(VmSpec spec, java.nio.file.Path dir) throws HypervisorException;

    /**
     * Starts a clone of a warm template from the state {@link #save}d in {@code dir} by another
     * VM (its template's builder): with this VM's own TAP, disk and sockets, and its network link
     * down where the hypervisor can hold it so, until {@link #setLink} brings it up.
     */
    VmProcess restoreClone(VmSpec spec, java.nio.file.Path dir) throws HypervisorException;

    /** Brings the VM's network link up or down (a clone's, once it has an identity of its own). */
    void setLink(VmSpec spec, boolean up) throws HypervisorException;

    /**
     * What a saved state is tied to: the hypervisor's build and how it emulates the CPU. A state
     * saved under another one is not loaded.
     */
    String stateFormat();

    /** How the host reaches the guest's agent of a VM running in {@code vmDir}. */
    io.scalebox.agent.AgentChannel agentChannel(java.nio.file.Path vmDir);

    /** Asks the guest to power off (see {@link HypervisorKind#requestPowerOff}); does not wait. */
    default void requestPowerOff(VmSpec spec) throws HypervisorException {
        kind().requestPowerOff(spec.dir());
    }
}
