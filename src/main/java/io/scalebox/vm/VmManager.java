package io.scalebox.vm;

import io.scalebox.config.Config;
import io.scalebox.host.CommandException;
import io.scalebox.network.AddressPool;
import io.scalebox.network.PortPool;
import io.scalebox.storage.KernelStore;
import io.scalebox.storage.TemplateStore;
import java.io.IOException;
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
    private final Machines machines;
    private final Lifecycle lifecycle;
    private final Snapshots snapshots;
    private final Recovery recovery;
    private final ConsoleLogs consoles;

    public VmManager(Config config, Host host, VmStore store, TemplateStore templates, KernelStore kernels,
                     AddressPool addresses, PortPool ports, Supplier<List<String>> nameservers) {
        machines = new Machines(host, registry, store, kernels, addresses, nameservers);
        consoles = new ConsoleLogs(store, config.consoleLogMaxKib() * 1024L);
        DiskBudget budget = new DiskBudget(host.space(), config.vmsDir(), config.diskOvercommit());
        lifecycle = new Lifecycle(config, host, registry, store, templates, machines, addresses, ports, budget);
        snapshots = new Snapshots(config, host, registry, templates, machines, budget);
        recovery = new Recovery(config, host, registry, store, templates, machines, lifecycle, addresses, ports);
    }

    public List<Vm> list() {
        return registry.list();
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

    /** The running VM of that name (the HTTPS router's lookup: by name only, never by id). */
    public Optional<Vm> runningNamed(String name) {
        return registry.named(name).filter(vm -> vm.status() == Vm.Status.running);
    }

    public Vm create(CreateRequest request) throws VmException {
        return lifecycle.create(request);
    }

    public Vm stop(String idOrName, boolean force) throws VmException {
        return lifecycle.stop(idOrName, force);
    }

    public Vm start(String idOrName) throws VmException {
        return lifecycle.start(idOrName);
    }

    public void delete(String idOrName) throws VmException {
        lifecycle.delete(idOrName);
    }

    public Snapshot snapshot(String idOrName, String template) throws VmException {
        return snapshots.snapshot(idOrName, template);
    }

    public void deleteTemplate(String name) throws VmException {
        snapshots.deleteTemplate(name);
    }

    /** At the daemon's start: re-attach, recover, reconcile. */
    public void recover() throws IOException, CommandException {
        recovery.recover();
    }

    /**
     * Restores scalebox's firewall tables if they were flushed or edited since the last change
     * (the daemon checks periodically). One warning line when it had to.
     */
    public void repairFirewall() {
        try {
            if (machines.repairForwards()) {
                LOG.warn("scalebox's nftables tables were flushed or changed by someone else; restored them");
            }
        } catch (CommandException e) {
            LOG.error("cannot restore scalebox's nftables tables: {}", e.getMessage());
        }
    }

    /** Keeps every VM's console log under the cap (the daemon calls it every second). */
    /** The newest {@code maxBytes} of a VM's console log (both files), as text. */
    public String console(String idOrName, int maxBytes) throws VmException {
        Vm vm = registry.get(idOrName);
        try {
            return consoles.tail(vm, maxBytes);
        } catch (IOException e) {
            throw new VmException(ErrorCode.CONSOLE_FAILED, "Cannot read the console log: " + e.getMessage(), e);
        }
    }

    public void capConsoleLogs() {
        registry.list().forEach(consoles::rotate);
    }

    /** Closes the VMs' ports (the daemon stops; VMs keep running). */
    public void detach() {
        machines.detach();
    }
}
