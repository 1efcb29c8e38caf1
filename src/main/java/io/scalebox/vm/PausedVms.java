package io.scalebox.vm;

import io.scalebox.agent.AgentException;
import io.scalebox.agent.Agents;
import io.scalebox.agent.GuestAgent;
import io.scalebox.host.CommandException;
import io.scalebox.hypervisor.HypervisorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Pause to disk and resume: the guest's memory and devices saved into {@code vms/<id>/state/}
 * (the daemon's, 0700) by the hypervisor, which then exits, freeing CPU and memory; name, id,
 * address, port and disk stay, and so does the state across daemon restarts, upgrades and
 * reboots. Resume loads it into a new hypervisor process, which runs on from where the guest
 * was; the guest's clock is set again through its agent. A state is spent once resumed.
 */
final class PausedVms {
    private static final Logger LOG = LogManager.getLogger(PausedVms.class);
    /** How long a resume waits for the guest's agent to set its clock. */
    private static final Duration CLOCK_PATIENCE = Duration.ofSeconds(30);
    private final Host host;
    private final VmRegistry registry;
    private final VmStore store;
    private final Machines machines;
    private final DiskBudget budget;
    private final Agents agents;

    PausedVms(Host host, VmRegistry registry, VmStore store, Machines machines, DiskBudget budget, Agents agents) {
        this.host = host;
        this.registry = registry;
        this.store = store;
        this.machines = machines;
        this.budget = budget;
        this.agents = agents;
    }

    /** Saves a running VM and ends its hypervisor. Pausing a paused VM changes nothing. */
    Vm pause(String idOrName) throws VmException {
        return registry.withVm(idOrName, vm -> {
            if (vm.status() == Vm.Status.paused) {
                return vm;
            }
            if (vm.status() != Vm.Status.running || !machines.alive(vm)) {
                throw new VmException(ErrorCode.VM_NOT_RUNNING, "VM " + vm.name() + " is not running: only a running"
                        + " VM can be paused");
            }
            budget.requireState(((long) vm.memSizeMib() + 256) << 20);
            Path dir = stateDir(vm.id());
            long started = System.currentTimeMillis();
            machines.detachGuest(vm);
            long bytes;
            try {
                prepare(dir);
                bytes = host.hypervisor().save(machines.spec(vm), vm.process().orElseThrow(), dir);
            } catch (HypervisorException | IOException e) {
                machines.reattachGuest(vm); // the hypervisor runs on, the guest too
                discard(vm.id());
                LOG.error("{}: pause failed: {}", vm.id(), e.getMessage());
                throw new VmException(ErrorCode.PAUSE_FAILED, "Failed to pause VM: " + e.getMessage(), e);
            }
            host.taps().deleteTap(vm.tap());
            Vm paused = vm.paused(new SavedState(host.hypervisor().stateFormat(), bytes, System.currentTimeMillis()));
            registry.save(store, paused);
            LOG.info("{}: paused ({} MiB of state in {} ms)", vm.id(), bytes >> 20, System.currentTimeMillis() - started);
            return paused;
        });
    }

    /** Loads a paused VM's state into a new hypervisor; it runs on. Resuming a running VM changes nothing. */
    Vm resume(String idOrName) throws VmException {
        Vm resumed = registry.withVm(idOrName, vm -> {
            if (vm.status() == Vm.Status.running && machines.alive(vm)) {
                return vm;
            }
            if (vm.status() != Vm.Status.paused) {
                throw new VmException(ErrorCode.VM_NOT_PAUSED, "VM " + vm.name() + " is not paused: start it");
            }
            SavedState state = vm.saved().orElseThrow();
            String here = host.hypervisor().stateFormat();
            if (!state.format().equals(here)) {
                throw new VmException(ErrorCode.STATE_INCOMPATIBLE, "VM " + vm.name() + " was paused under "
                        + state.format() + ", which this host no longer runs (" + here + "): start it with"
                        + " {\"discard_state\": true} to boot it from its disk");
            }
            Lifecycle.requireKernel(machines.kernel(vm.kernelVersion()));
            long started = System.currentTimeMillis();
            Rollback rollback = new Rollback().forVm(vm.id());
            try (rollback) {
                Vm running = machines.restore(vm, stateDir(vm.id()), rollback);
                registry.save(store, running);
                rollback.commit();
                discard(vm.id());
                LOG.info("{}: resumed (pid {}, {} ms)", vm.id(), running.process().orElseThrow().pid(),
                        System.currentTimeMillis() - started);
                return running;
            } catch (HypervisorException e) {
                LOG.error("{}: resume failed ({} step(s) undone): {}", vm.id(), rollback.undone(), e.getMessage());
                throw new VmException(ErrorCode.RESUME_FAILED, "Failed to resume VM: " + e.getMessage()
                        + "; it stays paused (start it with {\"discard_state\": true} to boot it from its disk)", e);
            } catch (CommandException | IOException | RuntimeException e) {
                LOG.error("{}: resume failed ({} step(s) undone): {}", vm.id(), rollback.undone(), e.getMessage());
                throw new VmException(ErrorCode.NETWORK_FAILED, "Failed to resume VM: " + e.getMessage(), e);
            }
        });
        setClock(resumed);
        return resumed;
    }

    /** The guest's clock stood still while it was paused: its agent sets it to the host's. */
    private void setClock(Vm vm) {
        try {
            new GuestAgent(agents.ready(vm.id(), CLOCK_PATIENCE)).setTime(
                    java.time.Instant.now().getEpochSecond() * 1_000_000_000L + java.time.Instant.now().getNano());
        } catch (AgentException e) {
            LOG.warn("{}: its clock could not be set after the resume ({}): it lags by the time it was paused",
                    vm.id(), e.getMessage());
        }
    }

    /** Removes a VM's saved state (spent, or of a pause that failed). */
    private void discard(String vmId) {
        try {
            store.deleteState(vmId);
        } catch (IOException e) {
            LOG.warn("{}: cannot remove its saved state: {}", vmId, e.getMessage());
        }
    }

    private Path stateDir(String vmId) {
        return store.stateDir(vmId);
    }

    private static void prepare(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
    }
}
