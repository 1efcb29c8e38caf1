package io.scalebox.vm;

import io.scalebox.hypervisor.VmProcess;
import java.util.Optional;

/**
 * One VM as recorded in {@code DATA_DIR/vms/<id>/vm.json}: everything needed to re-attach to
 * it or boot it again. Immutable; changes produce a new record. It runs exactly when it has a
 * process, and is paused when it has none but a saved state. {@code kernelVersion} is the kernel its template was built with (empty: the
 * configured kernel).
 */
public record Vm(
        String id,
        String name,
        String template,
        String guestAddress,
        String tap,
        String mac,
        int sshPort,
        int vcpuCount,
        int memSizeMib,
        int diskSizeGib,
        long createdAtMillis,
        String hypervisor,
        Optional<String> kernelVersion,
        Optional<VmProcess> process,
        Optional<SavedState> saved) {

    /** The API's status values. */
    public enum Status {
        running, stopped, paused
    }

    public Status status() {
        return process.isPresent() ? Status.running : saved.isPresent() ? Status.paused : Status.stopped;
    }

    /** The record of this VM running as {@code p} (a state it was resumed from is spent). */
    public Vm running(VmProcess p) {
        return new Vm(id, name, template, guestAddress, tap, mac, sshPort, vcpuCount, memSizeMib, diskSizeGib,
                createdAtMillis, hypervisor, kernelVersion, Optional.of(p), Optional.empty());
    }

    /** The record of this VM with no process and no saved state. */
    public Vm stopped() {
        return new Vm(id, name, template, guestAddress, tap, mac, sshPort, vcpuCount, memSizeMib, diskSizeGib,
                createdAtMillis, hypervisor, kernelVersion, Optional.empty(), Optional.empty());
    }

    /** The record of this VM paused: no process, its memory and devices saved as {@code state}. */
    public Vm paused(SavedState state) {
        return new Vm(id, name, template, guestAddress, tap, mac, sshPort, vcpuCount, memSizeMib, diskSizeGib,
                createdAtMillis, hypervisor, kernelVersion, Optional.empty(), Optional.of(state));
    }
}
