package io.scalebox.vm;

/**
 * One VM as recorded in {@code DATA_DIR/vms/<id>/vm.json}: everything needed to re-attach to
 * it or boot it again. Immutable; changes produce a new record. {@code kernelVersion} is the
 * kernel its template was built with (null: the configured kernel; records from older versions).
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
        Status status,
        String hypervisor,
        long pid,
        String unit,
        String cmdline,
        String kernelVersion) {

    /** The API's status values. */
    public enum Status {
        running, stopped
    }

    /** The record of this VM running as {@code pid} (or stopped: pid 0, no unit, no command line). */
    public Vm withProcess(Status s, long newPid, String newUnit, String newCmdline) {
        return new Vm(id, name, template, guestAddress, tap, mac, sshPort, vcpuCount, memSizeMib, diskSizeGib,
                createdAtMillis, s, hypervisor, newPid, newUnit, newCmdline, kernelVersion);
    }

    public Vm withStatus(Status s) {
        return new Vm(id, name, template, guestAddress, tap, mac, sshPort, vcpuCount, memSizeMib, diskSizeGib,
                createdAtMillis, s, hypervisor, pid, unit, cmdline, kernelVersion);
    }
}
