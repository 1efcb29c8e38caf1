package io.scalebox.vm;

import io.scalebox.agent.AgentException;
import io.scalebox.agent.Agents;
import io.scalebox.agent.GuestAgent;
import io.scalebox.config.Config;
import io.scalebox.config.Ipv4;
import io.scalebox.host.CommandException;
import io.scalebox.hypervisor.HypervisorException;
import io.scalebox.hypervisor.VmProcess;
import io.scalebox.network.AddressPool;
import io.scalebox.network.Network;
import io.scalebox.storage.GuestKernel;
import io.scalebox.storage.TemplateStore;
import io.scalebox.guest.WarmGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Warm states of templates, in {@code DATA_DIR/warm/<template>/} (root's, 0700): a frozen disk
 * and the saved memory of a private VM booted from the template until its agent answered. The
 * builder VM is nobody's: it has no record, no port and no firewall rules (its TAP's frames are
 * dropped), and a daemon stopping mid-build leaves a directory that recovery removes. Creates
 * hold a read lock while they copy the disk and load the state; a rebuild swaps the directory
 * under the write lock.
 */
final class WarmTemplates {
    private static final Logger LOG = LogManager.getLogger(WarmTemplates.class);
    /** A builder boots a whole guest (tens of seconds under emulation) before its agent answers. */
    private static final Duration BOOT_PATIENCE = Duration.ofSeconds(600);
    private static final Duration SETTLE_PATIENCE = Duration.ofSeconds(300);
    private static final String BUILDING = ".build";
    private final Config config;
    private final Host host;
    private final TemplateStore templates;
    private final Machines machines;
    private final VmStore store;
    private final VmRegistry registry;
    private final AddressPool addresses;
    private final Agents agents;
    private final DiskBudget budget;
    private final Path root;
    private final Names names = new Names();
    private final Object buildLock = new Object();
    private final Map<String, ReentrantReadWriteLock> locks = new ConcurrentHashMap<>();

    WarmTemplates(Config config, Host host, TemplateStore templates, Machines machines, VmStore store,
                  VmRegistry registry, AddressPool addresses, Agents agents, DiskBudget budget) {
        this.config = config;
        this.host = host;
        this.templates = templates;
        this.machines = machines;
        this.store = store;
        this.registry = registry;
        this.addresses = addresses;
        this.agents = agents;
        this.budget = budget;
        this.root = config.dataDir().resolve("warm");
    }

    /** A warm state a create copies and loads, held (read-locked) until closed. */
    record Lease(Path disk, Path stateDir, WarmState state, Lock lock) implements AutoCloseable {
        @Override
        public void close() {
            lock.unlock();
        }
    }

    /** The template's warm state when it fits a create of this shape and is current; empty: boot. */
    Optional<Lease> lease(String template, int vcpus, int memMib, int diskGib) {
        Lock lock = lock(template).readLock();
        lock.lock();
        try {
            Path dir = root.resolve(template);
            Optional<WarmState> state = WarmState.read(dir);
            if (state.isPresent() && state.get().source().equals(source(template, vcpus, memMib, diskGib))) {
                Lease lease = new Lease(dir.resolve("disk.ext4"), dir.resolve("state"), state.get(), lock);
                lock = null;
                return Optional.of(lease);
            }
            return Optional.empty();
        } catch (VmException e) {
            return Optional.empty();
        } finally {
            if (lock != null) {
                lock.unlock();
            }
        }
    }

    /** The template's warm state as recorded, current or not (the API shows it). */
    Optional<WarmState> recorded(String template) {
        return WarmState.read(root.resolve(template));
    }

    /** Whether the template's warm state is missing or no longer fits the template, kernel or shape. */
    boolean stale(String template) {
        try {
            Optional<WarmState> state = recorded(template);
            return state.isEmpty() || !state.get().source().equals(defaultSource(template));
        } catch (VmException e) {
            return false; // no template (yet): nothing to build
        }
    }

    /**
     * Boots a private VM of the template at the default shape, waits for its agent, lets the
     * guest settle, saves it and freezes its disk; replaces the template's warm state. One build
     * runs at a time (each is a whole VM).
     */
    WarmState build(String template) throws VmException {
        synchronized (buildLock) {
            WarmState.Source source = defaultSource(template);
            Path image = templates.image(template);
            long diskBytes = (long) source.diskSizeGib() * DiskBudget.GIB;
            budget.requireState(((long) source.memSizeMib() << 20) + diskBytes);
            String id;
            synchronized (registry) {
                do {
                    id = names.newId();
                } while (registry.idTaken(id));
            }
            Path work = root.resolve(template + BUILDING);
            long started = System.currentTimeMillis();
            try (Rollback rollback = new Rollback().forVm(id)) { // never committed: the builder always goes
                prepare(work);
                rollback.add(() -> VmStore.deleteTree(work));
                int address = addresses.allocate().orElseThrow(() -> new VmException(ErrorCode.CAPACITY_ADDRESSES,
                        "No free VM address left for the warm template's builder"));
                rollback.add(() -> addresses.release(address));
                Vm builder = new Vm(id, "warm", template, Ipv4.format(address), Network.tapName(id),
                        Lifecycle.mac(id), 0, source.vcpuCount(), source.memSizeMib(), source.diskSizeGib(), started,
                        host.hypervisor().kind().key(), templates.kernelVersion(template), Optional.empty(),
                        Optional.empty());
                Files.createDirectories(store.dir(id));
                String builderId = id;
                rollback.add(() -> store.deleteDir(builderId));
                host.disks().copy(image, store.disk(id));
                if (diskBytes > Files.size(image)) {
                    host.disks().grow(store.disk(id), diskBytes);
                }
                VmProcess process = machines.bootPrivate(builder, rollback);
                WarmGuest.settle(new GuestAgent(agents.ready(id, BOOT_PATIENCE)), SETTLE_PATIENCE);
                Path stateDir = work.resolve("state");
                prepare(stateDir);
                agents.detach(id);
                long bytes = host.hypervisor().save(machines.spec(builder), process, stateDir);
                Files.move(store.disk(id), work.resolve("disk.ext4"));
                WarmState state = new WarmState(source, bytes, System.currentTimeMillis());
                state.write(work);
                swap(template, work);
                LOG.info("{}: warm state of {} built by a private VM at {} ({}): {} MiB of state, {} ms", id,
                        template, builder.guestAddress(), builder.mac(), bytes >> 20,
                        System.currentTimeMillis() - started);
                return state;
            } catch (AgentException e) {
                throw failed(template, "its agent did not answer (" + e.getMessage() + "); a warm template needs"
                        + " qemu-guest-agent in the image", e);
            } catch (HypervisorException | IOException | CommandException | RuntimeException e) {
                throw failed(template, e.getMessage(), e);
            }
        }
    }

    /** Removes the template's warm state (the template is deleted, or replaced). */
    void delete(String template) {
        Lock lock = lock(template).writeLock();
        lock.lock();
        try {
            VmStore.deleteTree(root.resolve(template));
        } catch (IOException e) {
            LOG.warn("cannot remove the warm state of {}: {}", template, e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /** Builds cut short (the daemon stopped mid-build) are removed at the start. */
    void removePartial() throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (var dirs = Files.newDirectoryStream(root, "*" + BUILDING)) {
            for (Path d : dirs) {
                LOG.warn("removing {}: a warm build cut short", d.getFileName());
                VmStore.deleteTree(d);
            }
        }
    }

    private WarmState.Source defaultSource(String template) throws VmException {
        Path image = templates.image(template);
        long bytes = size(image);
        int gib = (int) ((bytes + DiskBudget.GIB - 1) / DiskBudget.GIB);
        return source(template, config.defaultVcpuCount(), config.defaultMemSizeMib(), gib);
    }

    private WarmState.Source source(String template, int vcpus, int memMib, int diskGib) throws VmException {
        Path image = templates.image(template);
        try {
            BasicFileAttributes a = Files.readAttributes(image, BasicFileAttributes.class);
            GuestKernel kernel = machines.kernel(templates.kernelVersion(template));
            Lifecycle.requireKernel(kernel);
            BasicFileAttributes k = Files.readAttributes(kernel.kernel(), BasicFileAttributes.class);
            String kernelId = kernel.kernel() + " " + k.size() + " " + k.lastModifiedTime().toMillis()
                    + kernel.initrd().map(p -> " " + p).orElse("");
            return new WarmState.Source(template, a.size(), a.lastModifiedTime().toMillis(), kernelId,
                    host.hypervisor().stateFormat(), vcpus, memMib, diskGib);
        } catch (IOException e) {
            throw new VmException(ErrorCode.TEMPLATE_NOT_FOUND, "Template not found");
        }
    }

    private void swap(String template, Path work) throws IOException {
        Lock lock = lock(template).writeLock();
        lock.lock();
        try {
            Path dir = root.resolve(template);
            VmStore.deleteTree(dir);
            Files.move(work, dir, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            lock.unlock();
        }
    }

    private ReentrantReadWriteLock lock(String template) {
        return locks.computeIfAbsent(template, t -> new ReentrantReadWriteLock());
    }

    private void prepare(Path dir) throws IOException {
        Files.createDirectories(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        VmStore.deleteTree(dir);
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    private static long size(Path p) throws VmException {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new VmException(ErrorCode.TEMPLATE_NOT_FOUND, "Template not found");
        }
    }

    private static VmException failed(String template, String why, Exception cause) {
        LOG.error("warm state of {} failed: {}", template, why);
        return new VmException(ErrorCode.WARM_FAILED, "Failed to build the warm state of " + template + ": " + why,
                cause);
    }
}
