package io.scalebox.vm;

import io.scalebox.config.Ipv4;
import io.scalebox.host.CommandException;
import io.scalebox.hypervisor.GuestShutdown;
import io.scalebox.hypervisor.HypervisorException;
import io.scalebox.hypervisor.HypervisorKind;
import io.scalebox.hypervisor.VmProcess;
import io.scalebox.hypervisor.VmSpec;
import io.scalebox.network.AddressPool;
import io.scalebox.network.ForwardingTable;
import io.scalebox.storage.GuestKernel;
import io.scalebox.storage.KernelStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The host side of a running VM (its TAP, hypervisor process and SSH proxy), booted and
 * halted, and the forwarding table of all VMs.
 */
final class Machines {
    private static final Logger LOG = LogManager.getLogger(Machines.class);
    private final Host host;
    private final VmStore store;
    private final KernelStore kernels;
    private final AddressPool addresses;
    private final Supplier<List<String>> nameservers;
    private final Map<String, AutoCloseable> proxies = new ConcurrentHashMap<>();
    private final VmRegistry registry;
    private final Object rulesLock = new Object();
    private final io.scalebox.agent.Agents agents;

    Machines(Host host, VmRegistry registry, VmStore store, KernelStore kernels, AddressPool addresses,
             Supplier<List<String>> nameservers, io.scalebox.agent.Agents agents) {
        this.agents = agents;
        this.host = host;
        this.registry = registry;
        this.store = store;
        this.kernels = kernels;
        this.addresses = addresses;
        this.nameservers = nameservers;
    }

    /** How a VM's hypervisor process comes to be: booted, or loaded from a saved state. */
    @FunctionalInterface
    private interface Launch {
        VmProcess start(VmSpec spec) throws HypervisorException;
    }

    /** TAP, hypervisor and proxy for a VM whose disk is ready, each with its undo. Returns it running. */
    Vm boot(Vm vm, Rollback rollback) throws CommandException, HypervisorException, IOException {
        return run(vm, rollback, host.hypervisor()::start, true);
    }

    /**
     * A VM of nobody's (a warm template's builder): TAP and hypervisor, and its agent; no port,
     * and no firewall rules name it, so every frame of its TAP is dropped. Returns its process.
     */
    VmProcess bootPrivate(Vm vm, Rollback rollback) throws CommandException, HypervisorException, IOException {
        return run(vm, rollback, host.hypervisor()::start, false).process().orElseThrow();
    }

    /**
     * A clone of a warm template: TAP, its hypervisor loaded from the template's state with the
     * link down (until {@link #linkUp}), port and agent, each with its undo. Returns it running.
     */
    Vm restoreClone(Vm vm, Path stateDir, Rollback rollback) throws CommandException, HypervisorException,
            IOException {
        return run(vm, rollback, spec -> host.hypervisor().restoreClone(spec, stateDir), true);
    }

    /** A paused VM's TAP, its hypervisor loaded from {@code stateDir}, port and agent, each with its undo. */
    Vm restore(Vm vm, Path stateDir, Rollback rollback) throws CommandException, HypervisorException, IOException {
        return run(vm, rollback, spec -> host.hypervisor().restore(spec, stateDir), true);
    }

    /** A clone with its own identity now: its frames may reach the bridge (its rules name it). */
    void linkUp(Vm vm) throws HypervisorException {
        host.hypervisor().setLink(spec(vm), true);
    }

    private Vm run(Vm vm, Rollback rollback, Launch launch, boolean port) throws CommandException,
            HypervisorException, IOException {
        host.taps().createTap(vm.tap());
        rollback.add(() -> host.taps().deleteTap(vm.tap()));
        host.faults().reach("create:tap");
        VmProcess process = launch.start(spec(vm));
        rollback.add(() -> host.processes().stop(process));
        host.faults().reach("create:hypervisor");
        if (port) {
            attachProxy(vm);
            rollback.add(() -> closeProxy(vm.id()));
        }
        attachAgent(vm);
        rollback.add(() -> agents.detach(vm.id()));
        return vm.running(process);
    }

    /** Closes the VM's port and lets go of its agent (a pause); the hypervisor runs on until it is saved. */
    void detachGuest(Vm vm) {
        closeProxy(vm.id());
        agents.detach(vm.id());
    }

    /** Undoes {@link #detachGuest} (a pause that failed: the guest runs on). */
    void reattachGuest(Vm vm) {
        try {
            attachProxy(vm);
        } catch (IOException e) {
            LOG.error("{}: cannot open its port again: {}", vm.id(), e.getMessage());
        }
        attachAgent(vm);
    }

    /** The guest's agent, reached through the hypervisor's channel (at boot, and when re-attaching). */
    void attachAgent(Vm vm) {
        HypervisorKind kind = HypervisorKind.byKey(vm.hypervisor()).orElse(host.hypervisor().kind());
        if (kind == host.hypervisor().kind()) {
            agents.attach(vm.id(), host.hypervisor().agentChannel(store.dir(vm.id())));
        }
    }

    /** The VM's host port to its guest's SSH port (at boot, and when re-attaching). */
    void attachProxy(Vm vm) throws IOException {
        proxies.put(vm.id(), host.proxies().open(vm.id(), vm.sshPort(), new InetSocketAddress(vm.guestAddress(), 22)));
    }

    /**
     * Ends what {@link #boot} started; tolerant of parts that are already gone. {@code clean}:
     * the guest is asked to power off first and forced only after VM_STOP_TIMEOUT (the VM is
     * kept); otherwise it is forced at once (its disk is deleted, or the caller said so).
     */
    void halt(Vm vm, boolean clean) {
        closeProxy(vm.id());
        agents.detach(vm.id());
        vm.process().ifPresent(process -> {
            if (!clean) {
                host.processes().stop(process);
                return;
            }
            Path dir = store.dir(vm.id());
            HypervisorKind kind = HypervisorKind.byKey(vm.hypervisor()).orElse(host.hypervisor().kind());
            GuestShutdown.Outcome outcome = host.processes().powerOff(process, () -> kind.requestPowerOff(dir));
            if (outcome.clean()) {
                LOG.info(outcome.describe(vm.id()));
            } else {
                LOG.warn(outcome.describe(vm.id()));
            }
        });
        host.taps().deleteTap(vm.tap());
    }

    boolean alive(Vm vm) {
        return vm.process().map(host.processes()::alive).orElse(false);
    }

    /** Makes sure a re-attached VM is not left paused (a snapshot cut short). */
    void resume(Vm vm) {
        try {
            host.hypervisor().resume(spec(vm));
        } catch (HypervisorException e) {
            LOG.warn("{}: cannot make sure it is not paused: {}", vm.id(), e.getMessage());
        }
    }

    /**
     * Rewrites the firewall tables from the VMs known now. The list is read under the same lock
     * as the write: two creates finishing at once must not let the older list be written last
     * (a VM without rules has no network at all).
     */
    void applyForwards() throws CommandException {
        synchronized (rulesLock) {
            host.firewall().apply(registry.list().stream().map(v -> new ForwardingTable.Guest(v.id(), v.tap(),
                    v.mac(), Ipv4.parse(v.guestAddress()), v.sshPort())).toList());
        }
    }

    /** Rewrites the firewall tables when someone flushed or edited them; true when it had to. */
    boolean repairForwards() throws CommandException {
        synchronized (rulesLock) {
            if (host.firewall().intact()) {
                return false;
            }
            applyForwards();
            return true;
        }
    }

    /** Lets go of the ports (the daemon stops): VMs and the forwarder keep running, sessions too. */
    void detach() {
        proxies.clear();
    }

    /** The kernel a VM whose template was built with that kernel version boots. */
    GuestKernel kernel(Optional<String> version) {
        return kernels.forVersion(version.orElse(null));
    }

    VmSpec spec(Vm vm) {
        var subnet = addresses.subnet();
        GuestKernel kernel = kernel(vm.kernelVersion());
        Path dir = store.dir(vm.id());
        return new VmSpec(vm.id(), vm.name(), dir, kernel.kernel(), kernel.initrd(), store.disk(vm.id()),
                vm.tap(), vm.mac(), vm.guestAddress(), subnet.addressText(), subnet.netmaskText(), nameservers.get(),
                vm.vcpuCount(), vm.memSizeMib());
    }

    private void closeProxy(String vmId) {
        AutoCloseable proxy = proxies.remove(vmId);
        if (proxy != null) {
            try {
                proxy.close();
            } catch (Exception e) {
                LOG.warn("{}: closing its port: {}", vmId, e.getMessage());
            }
        }
    }
}
