package io.scalebox.vm;

import io.scalebox.config.Config;
import io.scalebox.host.CommandException;
import io.scalebox.hypervisor.HypervisorException;
import io.scalebox.hypervisor.VmSpec;
import io.scalebox.storage.TemplateStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Templates made from VMs (pause, copy the disk, resume, scrub the copy, publish it with a
 * rename; same-name races: one wins) and template deletion.
 */
final class Snapshots {
    private static final Logger LOG = LogManager.getLogger(Snapshots.class);
    private final Config config;
    private final Host host;
    private final VmRegistry registry;
    private final TemplateStore templates;
    private final Machines machines;
    /** Templates being written: a second snapshot to the name, or its delete, is refused. */
    private final Set<String> busy = ConcurrentHashMap.newKeySet();

    private final DiskBudget budget;

    Snapshots(Config config, Host host, VmRegistry registry, TemplateStore templates, Machines machines,
              DiskBudget budget) {
        this.budget = budget;
        this.config = config;
        this.host = host;
        this.registry = registry;
        this.templates = templates;
        this.machines = machines;
    }

    Snapshot snapshot(String idOrName, String template) throws VmException {
        return registry.withVm(idOrName, vm -> snapshotLocked(vm, template));
    }

    private Snapshot snapshotLocked(Vm vm, String template) throws VmException {
        if (templates.exists(template) || !busy.add(template)) {
            throw new VmException(ErrorCode.TEMPLATE_EXISTS, "Template already exists");
        }
        Path partial = templates.partial(template);
        try {
            if (templates.exists(template)) {
                throw new VmException(ErrorCode.TEMPLATE_EXISTS, "Template already exists");
            }
            Files.createDirectories(templates.dir());
            VmSpec spec = machines.spec(vm);
            budget.requireCopy(spec.disk());
            boolean paused = false;
            if (vm.status() == Vm.Status.running) {
                host.hypervisor().pause(spec);
                paused = true;
            }
            host.faults().reach("snapshot:paused");
            try {
                host.disks().copy(spec.disk(), partial);
                host.faults().reach("snapshot:copied");
            } finally {
                if (paused) {
                    host.hypervisor().resume(spec);
                }
            }
            host.disks().clearIdentity(partial);
            host.faults().reach("snapshot:scrubbed");
            Files.move(partial, templates.image(template), StandardCopyOption.ATOMIC_MOVE);
            long now = System.currentTimeMillis();
            // After the rename, and never failing the snapshot: a template without metadata is whole,
            // its VMs boot the configured kernel.
            try {
                templates.writeMetadata(template, vm.id(), now, vm.kernelVersion().orElse(null));
            } catch (IOException e) {
                LOG.warn("{}: template {} has no metadata ({}); its VMs boot the configured kernel", vm.id(),
                        template, e.getMessage());
            }
            LOG.info("{}: snapshot saved as template {}", vm.id(), template);
            return new Snapshot(template, vm.id(), Files.size(templates.image(template)), now);
        } catch (HypervisorException | IOException | CommandException | RuntimeException e) {
            LOG.error("{}: snapshot to {} failed: {}", vm.id(), template, e.getMessage());
            throw new VmException(ErrorCode.SNAPSHOT_FAILED, "Snapshot failed: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException e) {
                LOG.error("{}: cannot remove {}: {}", vm.id(), partial, e.getMessage());
            }
            busy.remove(template);
        }
    }

    void deleteTemplate(String name) throws VmException {
        if (config.isProtected(name)) {
            throw new VmException(ErrorCode.TEMPLATE_PROTECTED, "Cannot delete protected template");
        }
        if (busy.contains(name)) {
            throw new VmException(ErrorCode.TEMPLATE_BUSY, "Template is being written");
        }
        try {
            if (!templates.delete(name)) {
                throw new VmException(ErrorCode.TEMPLATE_NOT_FOUND, "Template not found");
            }
            LOG.info("template {} deleted", name);
        } catch (IOException e) {
            throw new VmException(ErrorCode.TEMPLATE_DELETE_FAILED, "Cannot delete template: " + e.getMessage(), e);
        }
    }
}
