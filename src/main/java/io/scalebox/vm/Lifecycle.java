package io.scalebox.vm;

import io.scalebox.config.Config;
import io.scalebox.config.Ipv4;
import io.scalebox.metrics.Metrics;
import io.scalebox.host.CommandException;
import io.scalebox.hypervisor.HypervisorException;
import io.scalebox.network.AddressPool;
import io.scalebox.network.PortPool;
import io.scalebox.network.Network;
import io.scalebox.storage.GuestKernel;
import io.scalebox.storage.TemplateStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A VM's lifecycle: create (allocate, disk, boot, record), stop, start, delete. Allocation
 * happens under the registry's lock; cloning and booting of different VMs run in parallel.
 * Each create step has an undo in a {@link Rollback}, so a failed create leaves nothing.
 */
final class Lifecycle {
    private static final Logger LOG = LogManager.getLogger(Lifecycle.class);
    private static final long GIB = DiskBudget.GIB;

    private final Config config;
    private final Host host;
    private final VmRegistry registry;
    private final VmStore store;
    private final TemplateStore templates;
    private final Machines machines;
    private final AddressPool addresses;
    private final PortPool ports;
    private final DiskBudget budget;
    private final Metrics metrics;
    private final Names names = new Names();
    private final WarmCreate warm;

    Lifecycle(Config config, Host host, VmRegistry registry, VmStore store, TemplateStore templates,
              Machines machines, AddressPool addresses, PortPool ports, DiskBudget budget, Metrics metrics,
              WarmCreate warm) {
        this.warm = warm;
        this.metrics = metrics;
        this.budget = budget;
        this.config = config;
        this.host = host;
        this.registry = registry;
        this.store = store;
        this.templates = templates;
        this.machines = machines;
        this.addresses = addresses;
        this.ports = ports;
    }

    Vm create(CreateRequest req) throws VmException {
        Optional<String> kernelVersion = templates.kernelVersion(req.template());
        requireKernel(machines.kernel(kernelVersion));
        Path image = templates.image(req.template());
        if (!Files.isRegularFile(image)) {
            if (Config.BASE_TEMPLATE.equals(req.template())) {
                throw new VmException(ErrorCode.BASE_TEMPLATE_NOT_READY, "Template " + Config.BASE_TEMPLATE
                        + " is not built yet: run '" + GuestKernel.BUILD_COMMAND + "' on the host"
                        + " (after an install it builds in the background: journalctl -u scalebox-base-build)");
            }
            throw new VmException(ErrorCode.TEMPLATE_NOT_FOUND, "Template not found");
        }
        long templateBytes = size(image);
        int templateGib = (int) ((templateBytes + GIB - 1) / GIB);
        int diskGib = Math.max(req.diskSizeGib().orElse(templateGib), templateGib);

        Rollback rollback = new Rollback();
        Vm vm = allocate(req, diskGib, kernelVersion, rollback);
        CreatePhase.Clock clock = new CreatePhase.Clock();
        CreatePhase phase = CreatePhase.CLONE;
        try (rollback) {
            host.faults().reach("create:allocated");
            Path dir = store.dir(vm.id());
            Files.createDirectories(dir);
            rollback.add(() -> store.deleteDir(vm.id()));
            host.faults().reach("create:dir");
            Optional<Vm> restored = warm.restore(vm, req, clock, rollback);
            Vm running;
            if (restored.isPresent()) {
                running = restored.get();
            } else {
                Path disk = store.disk(vm.id());
                host.disks().copy(image, disk);
                if ((long) diskGib * GIB > templateBytes) {
                    host.disks().grow(disk, (long) diskGib * GIB);
                }
                phase = clock.enter(CreatePhase.KEY);
                host.disks().setUserKey(disk, req.sshPublicKey().line());
                host.faults().reach("create:disk");
                phase = clock.enter(CreatePhase.BOOT);
                running = machines.boot(vm, rollback);
                host.faults().reach("create:booted");
            }
            phase = clock.enter(CreatePhase.RECORD);
            store.save(running);
            host.faults().reach("create:recorded");
            registry.publish(running);
            rollback.add(() -> registry.remove(running.id()));
            phase = clock.enter(CreatePhase.NETWORK);
            machines.applyForwards();
            if (restored.isPresent()) {
                machines.linkUp(running); // its rules name it now, and it has its own identity
            }
            rollback.commit();
            clock.record(metrics);
            LOG.info("{}: created {} from {}{} (port {}, {} vCPU, {} MiB, {} GiB)", vm.id(), vm.name(),
                    vm.template(), restored.isPresent() ? "'s warm state in " + clock.millis(CreatePhase.RESTORE)
                            + " ms, its identity in " + clock.millis(CreatePhase.IDENTITY) + " ms" : "",
                    vm.sshPort(), vm.vcpuCount(), vm.memSizeMib(), diskGib);
            return running;
        } catch (HypervisorException e) {
            throw failed(vm, rollback, "Failed to start VM", ErrorCode.HYPERVISOR_FAILED, e);
        } catch (IOException | CommandException | RuntimeException e) {
            throw failed(vm, rollback, "Failed to create VM (" + phase.key() + ")", phase.code(), e);
        }
    }

    /** Name, id, address and port, atomically with respect to other creates. */
    private Vm allocate(CreateRequest req, int diskGib, Optional<String> kernelVersion, Rollback rollback)
            throws VmException {
        synchronized (registry) {
            // Under the lock: two creates must not both count the same free space.
            budget.require((long) diskGib * GIB, registry.committedBytes());
            String name;
            if (req.name().isPresent()) {
                name = req.name().get();
                if (registry.nameTaken(name)) {
                    throw new VmException(ErrorCode.NAME_TAKEN, "VM name already in use");
                }
            } else {
                name = names.newName(registry::nameTaken);
            }
            String id;
            do {
                id = names.newId();
            } while (registry.idTaken(id));
            rollback.forVm(id);
            int address = addresses.allocate().orElseThrow(() -> new VmException(ErrorCode.CAPACITY_ADDRESSES,
                    "No free VM address left in " + addresses.subnet()));
            Optional<Integer> port = ports.allocate();
            if (port.isEmpty()) {
                addresses.release(address);
                throw new VmException(ErrorCode.CAPACITY_PORTS,
                        "No free host port left in " + config.portMin() + "-" + config.portMax());
            }
            registry.reserve(name, diskGib);
            rollback.add(() -> registry.release(name));
            rollback.add(() -> addresses.release(address));
            rollback.add(() -> ports.release(port.get()));
            return new Vm(id, name, req.template(), Ipv4.format(address), Network.tapName(id), mac(id), port.get(),
                    req.vcpuCount().orElse(config.defaultVcpuCount()),
                    req.memSizeMib().orElse(config.defaultMemSizeMib()), diskGib, System.currentTimeMillis(),
                    host.hypervisor().kind().key(), kernelVersion, Optional.empty(), Optional.empty());
        }
    }

    /**
     * Powers the VM off, keeping disk, name, port and id: the guest is asked first unless
     * {@code force}. Returns once it has stopped. Stopping a stopped VM changes nothing.
     */
    Vm stop(String idOrName, boolean force) throws VmException {
        return registry.withVm(idOrName, vm -> {
            if (vm.status() == Vm.Status.stopped) {
                return vm;
            }
            if (vm.status() == Vm.Status.paused) {
                throw paused(vm);
            }
            machines.halt(vm, !force);
            Vm stopped = vm.stopped();
            registry.save(store, stopped);
            LOG.info("{}: stopped{}", vm.id(), force ? " (forced on request)" : "");
            return stopped;
        });
    }

    /**
     * Boots a stopped VM from its disk. Starting a running VM changes nothing. A paused VM is
     * booted only when {@code discardState} says so (what it had in memory is lost).
     */
    Vm start(String idOrName, boolean discardState) throws VmException {
        return registry.withVm(idOrName, vm -> {
            if (vm.status() == Vm.Status.paused) {
                if (!discardState) {
                    throw paused(vm);
                }
                try {
                    store.deleteState(vm.id());
                } catch (IOException e) {
                    throw new VmException(ErrorCode.RECORD_FAILED, "Cannot remove the saved state: " + e.getMessage(), e);
                }
                LOG.info("{}: its saved state discarded", vm.id());
            }
            if (vm.status() == Vm.Status.running) {
                if (machines.alive(vm)) {
                    return vm;
                }
                // Ended outside the daemon (the guest powered off, systemctl stop): boot it again.
                LOG.warn("{}: recorded as running but its hypervisor has exited; booting it again", vm.id());
                machines.halt(vm, false);
            }
            requireKernel(machines.kernel(vm.kernelVersion()));
            Rollback rollback = new Rollback().forVm(vm.id());
            try (rollback) {
                Vm running = machines.boot(vm.stopped(), rollback);
                registry.save(store, running);
                rollback.commit();
                LOG.info("{}: started (pid {})", vm.id(), running.process().orElseThrow().pid());
                return running;
            } catch (HypervisorException e) {
                throw failed(vm, rollback, "Failed to start VM", ErrorCode.HYPERVISOR_FAILED, e);
            } catch (CommandException | IOException | RuntimeException e) {
                throw failed(vm, rollback, "Failed to start VM", ErrorCode.NETWORK_FAILED, e);
            }
        });
    }

    /**
     * A VM recorded as running whose hypervisor has exited without being asked (the guest
     * powered off or panicked, the process was killed or crashed): its TAP and port are
     * released and it is recorded as stopped. Empty when it is running, or stopped already.
     * Not while the host shuts down: those VMs boot again after the reboot (AUTOSTART).
     */
    Optional<Vm> reap(String id) throws VmException {
        return registry.withVm(id, vm -> {
            if (vm.status() != Vm.Status.running || machines.alive(vm) || host.processes().hostStopping()) {
                return Optional.<Vm>empty();
            }
            machines.halt(vm, false);
            Vm stopped = vm.stopped();
            registry.save(store, stopped);
            LOG.warn("{}: its hypervisor exited without a stop request (the guest powered off or crashed, or the"
                    + " process was killed): marked stopped; POST /vms/{}/start boots it again", vm.id(), vm.name());
            return Optional.of(stopped);
        });
    }

    void delete(String idOrName) throws VmException {
        Vm deleted = registry.withVm(idOrName, vm -> {
            registry.remove(vm.id());
            try {
                store.markDeleting(vm.id());
            } catch (IOException e) {
                LOG.error("{}: cannot mark for deletion: {}", vm.id(), e.getMessage());
            }
            host.faults().reach("delete:marked");
            teardown(vm);
            return vm;
        });
        registry.forgetLock(deleted.id());
        LOG.info("{}: deleted {}", deleted.id(), deleted.name());
    }

    /** Forces the VM off and removes everything of it; tolerant of parts that are already gone. */
    void teardown(Vm vm) {
        machines.halt(vm, false);
        host.faults().reach("delete:halted");
        try {
            machines.applyForwards();
        } catch (CommandException e) {
            LOG.error("{}: cannot update nftables: {}", vm.id(), e.getMessage());
        }
        try {
            store.deleteDir(vm.id());
        } catch (IOException e) {
            LOG.error("{}: cannot remove {}: {}", vm.id(), store.dir(vm.id()), e.getMessage());
        }
        addresses.release(Ipv4.parse(vm.guestAddress()));
        ports.release(vm.sshPort());
    }


    /** The failure's one log line (the rollback has run), and the API's error. */
    private static VmException failed(Vm vm, Rollback rollback, String what, ErrorCode code, Exception cause) {
        LOG.error("{}: {} ({} step(s) undone): {}", vm.id(), what.toLowerCase(java.util.Locale.ROOT),
                rollback.undone(), cause.getMessage());
        return new VmException(code, what + ": " + cause.getMessage(), cause);
    }

    private static VmException paused(Vm vm) {
        return new VmException(ErrorCode.VM_PAUSED, "VM " + vm.name() + " is paused: resume it (POST /vms/"
                + vm.name() + "/resume), or start it with {\"discard_state\": true} to boot it from its disk");
    }

    /** A missing kernel would only fail inside the hypervisor: say which command fixes it. */
    static void requireKernel(GuestKernel kernel) throws VmException {
        Optional<String> problem = kernel.problem();
        if (problem.isPresent()) {
            throw new VmException(ErrorCode.KERNEL_NOT_READY, problem.get());
        }
    }

    /** Locally administered, unicast, derived from the id. */
    static String mac(String id) {
        String h = id.substring(3, 13);
        return "02:" + h.substring(0, 2) + ":" + h.substring(2, 4) + ":" + h.substring(4, 6) + ":"
                + h.substring(6, 8) + ":" + h.substring(8, 10);
    }

    private static long size(Path p) throws VmException {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new VmException(ErrorCode.TEMPLATE_NOT_FOUND, "Template not found");
        }
    }
}
