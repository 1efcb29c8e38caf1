package io.scalebox.vm;

import io.scalebox.hypervisor.Hypervisor;
import io.scalebox.hypervisor.VmProcesses;
import io.scalebox.network.ForwardingTable;
import io.scalebox.network.PortProxies;
import io.scalebox.network.TapDevices;
import io.scalebox.storage.DiskImages;
import io.scalebox.storage.SpaceProbe;

/**
 * Everything the engine does to the host, each behind its own small interface: wired with
 * the real tools in {@code Daemon}, with fakes in the engine's unit tests.
 */
public record Host(TapDevices taps, ForwardingTable firewall, DiskImages disks, SpaceProbe space,
                   PortProxies proxies, Hypervisor hypervisor, VmProcesses processes, FaultPoints faults) {
}
