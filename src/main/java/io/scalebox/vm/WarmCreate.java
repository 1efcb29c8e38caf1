package io.scalebox.vm;

import io.scalebox.agent.Agents;
import io.scalebox.agent.GuestAgent;
import io.scalebox.guest.CloneIdentity;
import io.scalebox.guest.HostKey;
import io.scalebox.host.CommandException;
import io.scalebox.hypervisor.HypervisorException;
import io.scalebox.metrics.Metrics;
import io.scalebox.network.AddressPool;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The warm half of a create: the template's frozen disk copied, its state loaded with the
 * link down, then the clone made its own machine through its agent (clock, RNG, MAC, address,
 * hostname, machine-id, host key, the caller's key) while no frame of it can reach the
 * bridge. Any failure undoes this half and the create boots instead (logged, counted).
 */
final class WarmCreate {
    private static final Logger LOG = LogManager.getLogger(WarmCreate.class);
    /** The restored guest's agent answers at once; the identity script runs a few commands. */
    private static final Duration IDENTITY_PATIENCE = Duration.ofSeconds(60);
    private final Host host;
    private final VmStore store;
    private final Machines machines;
    private final WarmTemplates warm;
    private final Agents agents;
    private final AddressPool addresses;
    private final Metrics metrics;

    WarmCreate(Host host, VmStore store, Machines machines, WarmTemplates warm, Agents agents, AddressPool addresses,
               Metrics metrics) {
        this.host = host;
        this.store = store;
        this.machines = machines;
        this.warm = warm;
        this.agents = agents;
        this.addresses = addresses;
        this.metrics = metrics;
    }

    /**
     * The VM running from its template's warm state with its own identity and its link still
     * down, its undo steps added to {@code rollback}; empty when there is no fitting state or the
     * restore failed (nothing of it is left: boot it).
     */
    Optional<Vm> restore(Vm vm, CreateRequest req, CreatePhase.Clock clock, Rollback rollback) {
        Optional<WarmTemplates.Lease> lease = warm.lease(vm.template(), vm.vcpuCount(), vm.memSizeMib(),
                vm.diskSizeGib());
        if (lease.isEmpty()) {
            return Optional.empty();
        }
        Rollback attempt = new Rollback().forVm(vm.id());
        try (WarmTemplates.Lease l = lease.get(); attempt) {
            host.disks().copy(l.disk(), store.disk(vm.id()));
            attempt.add(() -> Files.deleteIfExists(store.disk(vm.id())));
            host.faults().reach("create:warm-disk");
            clock.enter(CreatePhase.RESTORE);
            Vm running = machines.restoreClone(vm, l.stateDir(), attempt);
            clock.enter(CreatePhase.IDENTITY);
            long asked = System.nanoTime();
            GuestAgent agent = new GuestAgent(agents.ready(vm.id(), IDENTITY_PATIENCE));
            LOG.debug("{}: the restored guest's agent answered in {} ms", vm.id(), (System.nanoTime() - asked) / 1_000_000);
            identity(vm, req).apply(agent, IDENTITY_PATIENCE);
            host.faults().reach("create:identity");
            rollback.adopt(attempt);
            metrics.warmCreate("restored");
            return Optional.of(running);
        } catch (HypervisorException | IOException | CommandException | RuntimeException e) {
            LOG.warn("{}: restore from the warm state of {} failed, booting instead: {}", vm.id(), vm.template(),
                    e.getMessage());
            metrics.warmCreate("fell_back");
            clock.enter(CreatePhase.CLONE);
            return Optional.empty();
        }
    }

    private CloneIdentity identity(Vm vm, CreateRequest req) {
        var subnet = addresses.subnet();
        return new CloneIdentity(vm.mac(), vm.guestAddress(), subnet.prefix(), subnet.addressText(), vm.name(),
                HostKey.generate(), req.sshPublicKey().line());
    }
}
