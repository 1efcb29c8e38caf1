package io.scalebox.vm;

import io.scalebox.config.Config;
import io.scalebox.metrics.Metrics;
import io.scalebox.config.Ipv4;
import io.scalebox.host.Background;
import io.scalebox.host.CommandException;
import io.scalebox.hypervisor.ProcessLauncher;
import io.scalebox.network.AddressPool;
import io.scalebox.network.PortPool;
import io.scalebox.storage.TemplateStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The daemon's start: re-attach to the VMs recorded on disk (live hypervisors get their port
 * back, dead ones are marked stopped with their disk kept and booted again with AUTOSTART),
 * finish interrupted deletes, drop interrupted creates and snapshots, move corrupt records
 * aside; then reconcile what runs on the host with the records, one log line per action.
 */
final class Recovery {
    private static final Logger LOG = LogManager.getLogger(Recovery.class);
    private final Config config;
    private final Host host;
    private final VmRegistry registry;
    private final VmStore store;
    private final TemplateStore templates;
    private final Machines machines;
    private final Lifecycle lifecycle;
    private final AddressPool addresses;
    private final PortPool ports;
    private final Metrics metrics;

    Recovery(Config config, Host host, VmRegistry registry, VmStore store, TemplateStore templates,
             Machines machines, Lifecycle lifecycle, AddressPool addresses, PortPool ports, Metrics metrics) {
        this.metrics = metrics;
        this.config = config;
        this.host = host;
        this.registry = registry;
        this.store = store;
        this.templates = templates;
        this.machines = machines;
        this.lifecycle = lifecycle;
        this.addresses = addresses;
        this.ports = ports;
    }

    void recover() throws IOException, CommandException {
        // What the host has, asked while the records load (three child processes, 10-20 ms each).
        // Asked before any re-attach, autostart or finished delete changes it: what those add is
        // not in the answers, what they remove is known (finished) or gone already.
        Background<Set<String>, CommandException> tables = Background.start("recovery-nft",
                () -> host.firewall().vmIdsInTable());
        Background<List<String>, CommandException> taps = Background.start("recovery-ip", () -> host.taps().taps());
        Background<List<String>, CommandException> units = Background.start("recovery-systemctl",
                () -> host.processes().units());
        Set<String> finished = new HashSet<>();
        for (StoredVm stored : store.loadAll()) {
            if (stored instanceof StoredVm.Missing missing) {
                LOG.warn("removing {}: no vm.json (interrupted create)", missing.dir());
                store.deleteDir(missing.dir().getFileName().toString());
                metrics.reconciled("interrupted_create_removed");
            } else if (stored instanceof StoredVm.Corrupt corrupt) {
                Path aside = store.quarantine(corrupt.dir(), System.currentTimeMillis());
                LOG.error("{}: {}; moved aside to {}", corrupt.dir().getFileName(), corrupt.problem(),
                        aside.getFileName());
                metrics.reconciled("corrupt_record_moved");
            } else if (stored instanceof StoredVm.Found found) {
                if (found.deleting()) {
                    LOG.warn("{}: finishing a delete that was interrupted", found.vm().id());
                    lifecycle.teardown(found.vm());
                    finished.add(found.vm().id());
                    metrics.reconciled("interrupted_delete_finished");
                } else {
                    reattach(found.vm(), found.outdated());
                }
            }
        }
        for (Path partial : templates.partials()) {
            LOG.warn("removing {}: an interrupted snapshot", partial.getFileName());
            Files.deleteIfExists(partial);
            metrics.reconciled("interrupted_snapshot_removed");
        }
        reconcile(tables.join(), taps.join(), units.join(), finished);
        machines.applyForwards();
    }

    private void reattach(Vm recorded, boolean outdated) throws IOException {
        addresses.reserve(Ipv4.parse(recorded.guestAddress()));
        ports.reserve(recorded.sshPort());
        Vm vm = recorded;
        boolean wasRunning = vm.status() == Vm.Status.running;
        if (machines.alive(vm)) {
            machines.attachProxy(vm);
            machines.attachAgent(vm);
            machines.resume(vm);
            LOG.info("{}: re-attached to {} (pid {})", vm.id(), vm.name(), vm.process().orElseThrow().pid());
            metrics.reconciled("reattached");
            vm.process().flatMap(p -> p.unit()).filter(u -> !host.processes().stopsCleanly(u)).ifPresent(u ->
                    LOG.warn("{}: started by an older scaleboxd, its unit cuts the guest's power at host shutdown;"
                            + " stop and start it once (POST /vms/{}/stop, /start) to get the clean stop",
                            recorded.id(), recorded.name()));
        } else if (wasRunning) {
            host.taps().deleteTap(vm.tap());
            vm = vm.stopped();
            store.save(vm);
            outdated = false;
            LOG.warn("{}: hypervisor gone; marked stopped, disk kept", vm.id());
            metrics.reconciled("marked_stopped");
        }
        if (outdated) {
            store.save(vm);
            LOG.info("{}: record of an earlier version rewritten in this version's format", vm.id());
            metrics.reconciled("record_migrated");
        }
        registry.publish(vm);
        if (wasRunning && vm.status() == Vm.Status.stopped && config.autostart()) {
            try {
                lifecycle.start(vm.id(), false);
                metrics.reconciled("autostarted");
            } catch (VmException e) {
                LOG.error("{}: autostart failed: {}", vm.id(), e.getMessage());
            }
        }
    }

    /**
     * Removes TAPs, hypervisor processes and units with scalebox's naming that belong to no VM
     * (nor to one whose delete recovery just finished); nftables rules of unknown VMs go when
     * the table is rewritten from the records.
     */
    private void reconcile(Set<String> idsInTable, List<String> hostTaps, List<String> hostUnits,
                           Set<String> finished) throws CommandException {
        Set<String> taps = new HashSet<>();
        Set<String> ids = new HashSet<>(finished);
        for (Vm v : registry.list()) {
            ids.add(v.id());
            if (v.status() == Vm.Status.running) {
                taps.add(v.tap());
            }
        }
        for (String id : idsInTable) {
            if (!ids.contains(id)) {
                LOG.warn("{}: removing orphan nftables rules", id);
                metrics.reconciled("orphan_rules_removed");
            }
        }
        for (String tap : hostTaps) {
            if (!taps.contains(tap) && host.taps().deleteTap(tap)) {
                LOG.warn("removed orphan TAP {}", tap);
                metrics.reconciled("orphan_tap_removed");
            }
        }
        Map<Long, String> hypervisors = host.processes().hypervisorsUnder(config.vmsDir(),
                Set.of(config.qemuBin(), config.firecrackerBin()));
        hypervisors.forEach((pid, id) -> {
            if (!ids.contains(id)) {
                LOG.warn("{}: ending orphan hypervisor process {}", id, pid);
                host.processes().end(pid);
                metrics.reconciled("orphan_process_ended");
            }
        });
        for (String unit : hostUnits) {
            String id = unit.substring(ProcessLauncher.UNIT_PREFIX.length()).replace(".service", "");
            if (!ids.contains(id)) {
                LOG.warn("{}: stopping orphan unit {}", id, unit);
                host.processes().stopUnit(unit);
                metrics.reconciled("orphan_unit_stopped");
            }
        }
    }
}
