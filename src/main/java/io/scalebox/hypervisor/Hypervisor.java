package io.scalebox.hypervisor;

/** One backend (QEMU, Firecracker): boots a VM's process and controls it afterwards. */
public interface Hypervisor {
    HypervisorKind kind();

    /** Starts the VM; on failure nothing of it runs any more. Returns the process. */
    VmProcess start(VmSpec spec) throws HypervisorException;

    void pause(VmSpec spec) throws HypervisorException;

    void resume(VmSpec spec) throws HypervisorException;

    /** How the host reaches the guest's agent of a VM running in {@code vmDir}. */
    io.scalebox.agent.AgentChannel agentChannel(java.nio.file.Path vmDir);

    /** Asks the guest to power off (see {@link HypervisorKind#requestPowerOff}); does not wait. */
    default void requestPowerOff(VmSpec spec) throws HypervisorException {
        kind().requestPowerOff(spec.dir());
    }
}
