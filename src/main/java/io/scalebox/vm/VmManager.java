package io.scalebox.vm;

import io.scalebox.config.Config;
import io.scalebox.events.EventLog;
import io.scalebox.host.CommandException;
import io.scalebox.metrics.Metrics;
import io.scalebox.network.AddressPool;
import io.scalebox.network.PortPool;
import io.scalebox.storage.KernelStore;
import io.scalebox.storage.TemplateStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The engine as the API sees it: looks VMs up and hands each operation to the part that owns
 * it ({@link Lifecycle}, {@link Snapshots}, {@link Recovery}).
 */
public final class VmManager {
    private static final Logger LOG = LogManager.getLogger(VmManager.class);
    private final VmRegistry registry = new VmRegistry();
    private final io.scalebox.agent.Agents agents;
    private final Machines machines;
    private final Lifecycle lifecycle;
    private final Snapshots snapshots;
    private final PausedVms paused;
    private final WarmTemplates warm;
    private final Recovery recovery;
    private final ConsoleLogs consoles;
    private final EventLog events;
    private final Metrics metrics;
    private final OperationMeter meter;
    private final VmStore store;
    private final TemplateStore templates;
    private final TemplateManager templateManager;

    public VmManager(Config config, Host host, VmStore store, TemplateStore templates, KernelStore kernels,
                     AddressPool addresses, PortPool ports, Supplier<List<String>> nameservers, EventLog events,
                     Metrics metrics) {
        this.events = events;
        this.metrics = metrics;
        this.meter = new OperationMeter(metrics);
        this.store = store;
        this.templates = templates;
        agents = new io.scalebox.agent.Agents((vmId, state) -> {
            registry.touch(); // the VM's "agent" field changed
            if (state == io.scalebox.agent.AgentSession.State.ready) {
                registry.find(vmId).ifPresent(vm -> events.publish("vm.agent_ready", vm.id(), vm.name(), null));
            }
        });
        machines = new Machines(host, registry, store, kernels, addresses, nameservers, agents);
        consoles = new ConsoleLogs(store, config.consoleLogMaxKib() * 1024L);
        DiskBudget budget = new DiskBudget(host.space(), config.vmsDir(), config.diskOvercommit());
        warm = new WarmTemplates(config, host, templates, machines, store, registry, addresses, agents, budget);
        lifecycle = new Lifecycle(config, host, registry, store, templates, machines, addresses, ports, budget,
                metrics, new WarmCreate(host, store, machines, warm, agents, addresses, metrics));
        snapshots = new Snapshots(config, host, registry, templates, machines, budget);
        paused = new PausedVms(host, registry, store, machines, budget, agents);
        templateManager = new TemplateManager(config, templates, snapshots, warm, events, meter);
        recovery = new Recovery(config, host, registry, store, templates, machines, lifecycle, addresses, ports,
                metrics);
    }

    /** Template operations: delete, warm states, debian-base builds. */
    public TemplateManager templates() {
        return templateManager;
    }

    public List<Vm> list() {
        return registry.list();
    }

    /** The guests' agents (exec and files go through them). */
    public io.scalebox.agent.Agents agents() {
        return agents;
    }

    /** What the API shows of a VM's agent: ready, connecting (running, not answering yet) or unavailable. */
    public String agentState(Vm vm) {
        return vm.status() == Vm.Status.running ? agents.state(vm.id()).name() : "unavailable";
    }

    /** The VM's disk image (its size on disk is a metric). */
    public Path disk(Vm vm) {
        return store.disk(vm.id());
    }

    /** Changes whenever a VM record does (see {@link #list}). */
    public long version() {
        return registry.version();
    }

    public int count() {
        return registry.count();
    }

    /** By id first, then by name. */
    public Vm get(String idOrName) throws VmException {
        return registry.get(idOrName);
    }

    /** Nominal disk bytes of every VM and create under way (/info: committed). */
    public long committedBytes() {
        return registry.committedBytes();
    }

    public boolean nameExists(String name) {
        return registry.nameExists(name);
    }

    /** The status of the VM with this id, if there is one. */
    public Optional<Vm.Status> status(String id) {
        return registry.find(id).map(Vm::status);
    }

    /** The running VM of that name (the HTTPS router's lookup: by name only, never by id). */
    public Optional<Vm> runningNamed(String name) {
        return registry.named(name).filter(vm -> vm.status() == Vm.Status.running);
    }

    // Every change of a VM or template is published here, once it happened (or failed), and measured.

    public Vm create(CreateRequest request) throws VmException {
        try {
            Vm vm = meter.measured("create", () -> lifecycle.create(request));
            events.publish("vm.created", vm.id(), vm.name(), vm.template());
            return vm;
        } catch (VmException e) {
            events.publish("vm.create_failed", null, request.name().orElse(null), e.code().key());
            throw e;
        }
    }

    public Vm stop(String idOrName, boolean force) throws VmException {
        Vm before = registry.get(idOrName);
        Vm after = meter.measured("stop", () -> lifecycle.stop(idOrName, force));
        if (before.status() == Vm.Status.running) {
            events.publish("vm.stopped", after.id(), after.name(), force ? "forced" : null);
        }
        return after;
    }

    public Vm start(String idOrName, boolean discardState) throws VmException {
        return transition("start", "vm.started", idOrName, () -> lifecycle.start(idOrName, discardState),
                (before, after) -> !after.process().equals(before.process()), after -> null);
    }

    public Vm pause(String idOrName) throws VmException {
        return transition("pause", "vm.paused", idOrName, () -> paused.pause(idOrName),
                (before, after) -> before.status() != Vm.Status.paused,
                after -> String.valueOf(after.saved().orElseThrow().bytes()));
    }

    public Vm resume(String idOrName) throws VmException {
        return transition("resume", "vm.resumed", idOrName, () -> paused.resume(idOrName),
                (before, after) -> before.status() == Vm.Status.paused, after -> null);
    }

    /**
     * A measured operation on one VM: {@code event} when it changed the VM (with {@code detail}),
     * {@code vm.<operation>_failed} with the error code when it failed.
     */
    private Vm transition(String operation, String event, String idOrName, OperationMeter.Operation<Vm> op,
                          java.util.function.BiPredicate<Vm, Vm> changed,
                          java.util.function.Function<Vm, String> detail) throws VmException {
        Vm before = registry.get(idOrName);
        try {
            Vm after = meter.measured(operation, op);
            if (changed.test(before, after)) {
                events.publish(event, after.id(), after.name(), detail.apply(after));
            }
            return after;
        } catch (VmException e) {
            events.publish("vm." + operation + "_failed", before.id(), before.name(), e.code().key());
            throw e;
        }
    }

    public void delete(String idOrName) throws VmException {
        Vm vm = registry.get(idOrName);
        meter.measured("delete", () -> {
            lifecycle.delete(idOrName);
            return vm;
        });
        events.publish("vm.deleted", vm.id(), vm.name(), null);
    }

    public Snapshot snapshot(String idOrName, String template) throws VmException {
        Vm vm = registry.get(idOrName);
        try {
            Snapshot s = meter.measured("snapshot", () -> snapshots.snapshot(idOrName, template));
            events.publish("snapshot.created", vm.id(), vm.name(), template);
            return s;
        } catch (VmException e) {
            events.publish("snapshot.failed", vm.id(), vm.name(), e.code().key());
            throw e;
        }
    }

    /** At the daemon's start: re-attach, recover, reconcile; each VM it holds is an event. */
    public void recover() throws IOException, CommandException {
        recovery.recover();
        warm.removePartial();
        events.publishAll(registry.list().stream()
                .map(vm -> new EventLog.Draft("vm.recovered", vm.id(), vm.name(), vm.status().name())).toList());
    }

    /**
     * Restores scalebox's firewall tables if they were flushed or edited since the last change
     * (the daemon checks periodically). One warning line when it had to.
     */
    public void repairFirewall() {
        try {
            if (machines.repairForwards()) {
                metrics.reconciled("firewall_restored");
                LOG.warn("scalebox's nftables tables were flushed or changed by someone else; restored them");
            }
        } catch (CommandException e) {
            LOG.error("cannot restore scalebox's nftables tables: {}", e.getMessage());
        }
    }

    /** The newest {@code maxBytes} of a VM's console log (both files), as text. */
    public String console(String idOrName, int maxBytes) throws VmException {
        Vm vm = registry.get(idOrName);
        try {
            return consoles.tail(vm, maxBytes);
        } catch (IOException e) {
            throw new VmException(ErrorCode.CONSOLE_FAILED, "Cannot read the console log: " + e.getMessage(), e);
        }
    }

    /**
     * Finds running VMs whose hypervisor has exited on its own and records them as stopped,
     * each a {@code vm.crashed} event (the daemon calls it every second). The check without
     * the VM's lock is cheap (one /proc read); the lock is taken only for a VM that looks gone.
     */
    public void reapExited() {
        for (Vm vm : registry.list()) {
            if (vm.status() != Vm.Status.running || machines.alive(vm)) {
                continue;
            }
            try {
                lifecycle.reap(vm.id()).ifPresent(stopped -> {
                    metrics.crashed();
                    events.publish("vm.crashed", stopped.id(), stopped.name(), "hypervisor exited");
                });
            } catch (VmException e) {
                // deleted meanwhile, or its record could not be written: the next round tries again
                if (e.code() != ErrorCode.VM_NOT_FOUND) {
                    LOG.error("{}: cannot record that its hypervisor exited: {}", vm.id(), e.getMessage());
                }
            }
        }
    }


    /** Keeps every VM's console log under the cap (the daemon calls it every second). */
    public void capConsoleLogs() {
        registry.list().forEach(consoles::rotate);
    }

    /** Closes the VMs' ports (the daemon stops; VMs keep running). */
    public void detach() {
        machines.detach();
    }
}
