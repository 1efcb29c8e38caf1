package io.scalebox.vm;

import io.scalebox.config.Config;
import io.scalebox.config.Ipv4;
import io.scalebox.host.CommandException;
import io.scalebox.host.HostStats;
import io.scalebox.hypervisor.GuestShutdown;
import io.scalebox.hypervisor.Hypervisor;
import io.scalebox.hypervisor.HypervisorException;
import io.scalebox.hypervisor.HypervisorKind;
import io.scalebox.hypervisor.ProcessLauncher;
import io.scalebox.hypervisor.VmProcess;
import io.scalebox.hypervisor.VmSpec;
import io.scalebox.network.AddressPool;
import io.scalebox.network.Firewall;
import io.scalebox.network.Network;
import io.scalebox.network.PortPool;
import io.scalebox.network.Resolvers;
import io.scalebox.network.TcpProxy;
import io.scalebox.storage.DiskCloner;
import io.scalebox.storage.GuestKernel;
import io.scalebox.storage.ImageEditor;
import io.scalebox.storage.KernelStore;
import io.scalebox.storage.TemplateStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Creates, lists, deletes and snapshots VMs. Allocation (id, name, address, port) happens
 * under a short lock; cloning and booting run in parallel. Every step of a create has an
 * undo, and a failure undoes the steps already done, so nothing of a failed VM remains.
 */
public final class VmManager {
    private static final Logger LOG = LogManager.getLogger(VmManager.class);
    private static final long GIB = 1024L * 1024 * 1024;
    /** api.md: a create needs the disk plus this much free space. */
    private static final long RESERVE_BYTES = 2 * GIB;

    private final Config config;
    private final VmStore store;
    private final TemplateStore templates;
    private final DiskCloner cloner;
    private final Network network;
    private final Firewall firewall;
    private final Hypervisor hypervisor;
    private final ProcessLauncher launcher;
    private final AddressPool addresses;
    private final PortPool ports;
    private final Resolvers resolvers;
    private final KernelStore kernels;
    private final Names names = new Names();

    private final Map<String, Vm> vms = new LinkedHashMap<>();
    private final Map<String, TcpProxy> proxies = new ConcurrentHashMap<>();
    private final Set<String> pendingNames = new HashSet<>();
    private final Set<String> busyTemplates = ConcurrentHashMap.newKeySet();

    public VmManager(Config config, VmStore store, TemplateStore templates, DiskCloner cloner, Network network,
                     Firewall firewall, Hypervisor hypervisor, ProcessLauncher launcher, AddressPool addresses,
                     PortPool ports, Resolvers resolvers, KernelStore kernels) {
        this.config = config;
        this.store = store;
        this.templates = templates;
        this.cloner = cloner;
        this.network = network;
        this.firewall = firewall;
        this.hypervisor = hypervisor;
        this.launcher = launcher;
        this.addresses = addresses;
        this.ports = ports;
        this.resolvers = resolvers;
        this.kernels = kernels;
    }

    public synchronized List<Vm> list() {
        return vms.values().stream().sorted(Comparator.comparingLong(Vm::createdAtMillis)).toList();
    }

    public synchronized int count() {
        return vms.size();
    }

    /** By id first, then by name. */
    public synchronized Vm get(String idOrName) throws VmException {
        Vm vm = vms.get(idOrName);
        if (vm != null) {
            return vm;
        }
        return vms.values().stream().filter(v -> v.name().equals(idOrName)).findFirst()
                .orElseThrow(() -> new VmException(VmException.Reason.NOT_FOUND, "VM not found"));
    }

    public synchronized boolean nameExists(String name) {
        return vms.values().stream().anyMatch(v -> v.name().equalsIgnoreCase(name));
    }

    // ---- create -------------------------------------------------------------------------

    public Vm create(CreateRequest req) throws VmException {
        String kernelVersion = templates.kernelVersion(req.template()).orElse(null);
        requireKernel(kernels.forVersion(kernelVersion));
        Path image = templates.image(req.template());
        if (!Files.isRegularFile(image)) {
            if (Config.BASE_TEMPLATE.equals(req.template())) {
                throw new VmException(VmException.Reason.UNAVAILABLE, "Template " + Config.BASE_TEMPLATE
                        + " is not built yet: run '" + GuestKernel.BUILD_COMMAND + "' on the host"
                        + " (after an install it builds in the background: journalctl -u scalebox-base-build)");
            }
            throw new VmException(VmException.Reason.NOT_FOUND, "Template not found");
        }
        long templateBytes = size(image);
        int templateGib = (int) ((templateBytes + GIB - 1) / GIB);
        int diskGib = Math.max(req.diskSizeGib().orElse(templateGib), templateGib);
        checkSpace(diskGib);

        Deque<Undo> undo = new ArrayDeque<>();
        Vm vm = allocate(req, diskGib, kernelVersion, undo);
        CrashPoint.reach("create:allocated");
        try {
            VmSpec spec = spec(vm);
            Files.createDirectories(spec.dir());
            undo.push(() -> store.deleteDir(vm.id()));
            CrashPoint.reach("create:dir");
            cloner.copy(image, spec.disk());
            if ((long) diskGib * GIB > templateBytes) {
                DiskCloner.grow(spec.disk(), (long) diskGib * GIB);
            }
            ImageEditor.setUserKey(spec.disk(), req.sshPublicKey());
            CrashPoint.reach("create:disk");
            Vm running = boot(vm, undo);
            CrashPoint.reach("create:booted");
            store.save(running);
            CrashPoint.reach("create:recorded");
            synchronized (this) {
                vms.put(running.id(), running);
                pendingNames.remove(running.name());
            }
            undo.push(() -> forget(running));
            applyFirewall();
            LOG.info("{}: created {} from {} (port {}, {} vCPU, {} MiB, {} GiB)", vm.id(), vm.name(),
                    vm.template(), vm.sshPort(), vm.vcpuCount(), vm.memSizeMib(), diskGib);
            return running;
        } catch (HypervisorException e) {
            rollback(vm, "create", undo, e);
            throw new VmException(VmException.Reason.FAILED, "Failed to start VM: " + e.getMessage(), e);
        } catch (IOException | CommandException | RuntimeException e) {
            rollback(vm, "create", undo, e);
            throw new VmException(VmException.Reason.FAILED, "Failed to create VM: " + e.getMessage(), e);
        }
    }

    /** TAP, hypervisor and proxy for a VM whose disk is ready; pushes an undo for each. */
    private Vm boot(Vm vm, Deque<Undo> undo) throws CommandException, HypervisorException, IOException {
        network.createTap(vm.tap());
        undo.push(() -> network.deleteTap(vm.tap()));
        CrashPoint.reach("create:tap");
        VmProcess process = hypervisor.start(spec(vm));
        undo.push(() -> launcher.stop(process));
        CrashPoint.reach("create:hypervisor");
        TcpProxy proxy = new TcpProxy(vm.id(), vm.sshPort(), new InetSocketAddress(vm.guestAddress(), 22));
        undo.push(() -> {
            proxies.remove(vm.id());
            proxy.close();
        });
        proxies.put(vm.id(), proxy);
        return vm.withProcess(Vm.Status.running, process.pid(), process.unit().orElse(null), process.cmdline());
    }

    /**
     * Ends what {@link #boot} started; tolerant of parts that are already gone. {@code clean}:
     * the guest is asked to power off first and forced only after VM_STOP_TIMEOUT (the VM is
     * kept); otherwise it is forced at once (its disk is deleted, or the caller said so).
     */
    private void halt(Vm vm, boolean clean) {
        TcpProxy proxy = proxies.remove(vm.id());
        if (proxy != null) {
            proxy.close();
        }
        if (vm.pid() > 0) {
            if (clean) {
                Path dir = store.dir(vm.id());
                HypervisorKind kind = HypervisorKind.byKey(vm.hypervisor()).orElse(hypervisor.kind());
                GuestShutdown.Outcome outcome = launcher.powerOff(process(vm), () -> kind.requestPowerOff(dir));
                if (outcome.clean()) {
                    LOG.info(outcome.describe(vm.id()));
                } else {
                    LOG.warn(outcome.describe(vm.id()));
                }
            } else {
                launcher.stop(process(vm));
            }
        }
        network.deleteTap(vm.tap());
    }

    private static VmProcess process(Vm vm) {
        return new VmProcess(vm.pid(), Optional.ofNullable(vm.unit()), vm.cmdline() == null ? "" : vm.cmdline());
    }

    // ---- stop / start -------------------------------------------------------------------

    /**
     * Powers the VM off, keeping disk, name, port and id: the guest is asked first unless
     * {@code force}. Returns once it has stopped. Stopping a stopped VM changes nothing.
     */
    public Vm stop(String idOrName, boolean force) throws VmException {
        Vm vm = get(idOrName);
        synchronized (lock(vm.id())) {
            vm = get(vm.id());
            if (vm.status() == Vm.Status.stopped) {
                return vm;
            }
            halt(vm, !force);
            Vm stopped = vm.withProcess(Vm.Status.stopped, 0, null, null);
            save(stopped);
            LOG.info("{}: stopped{}", vm.id(), force ? " (forced on request)" : "");
            return stopped;
        }
    }

    /** Boots a stopped VM from its disk. Starting a running VM changes nothing. */
    public Vm start(String idOrName) throws VmException {
        Vm vm = get(idOrName);
        synchronized (lock(vm.id())) {
            vm = get(vm.id());
            if (vm.status() == Vm.Status.running) {
                if (vm.pid() > 0 && process(vm).alive()) {
                    return vm;
                }
                // Ended outside the daemon (the guest powered off, systemctl stop): boot it again.
                LOG.warn("{}: recorded as running but its hypervisor has exited; booting it again", vm.id());
                halt(vm, false);
            }
            requireKernel(kernels.forVersion(vm.kernelVersion()));
            Deque<Undo> undo = new ArrayDeque<>();
            try {
                Vm running = boot(vm, undo);
                save(running);
                LOG.info("{}: started (pid {})", vm.id(), running.pid());
                return running;
            } catch (HypervisorException | CommandException | IOException | RuntimeException e) {
                rollback(vm, "start", undo, e);
                throw new VmException(VmException.Reason.FAILED, "Failed to start VM: " + e.getMessage(), e);
            }
        }
    }

    /** Writes the record and publishes it, unless the VM was deleted meanwhile. */
    private void save(Vm vm) throws VmException {
        try {
            store.save(vm);
        } catch (IOException e) {
            throw new VmException(VmException.Reason.FAILED, "Cannot write the VM record: " + e.getMessage(), e);
        }
        synchronized (this) {
            vms.computeIfPresent(vm.id(), (k, v) -> vm);
        }
    }

    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    /** Serializes stop, start, snapshot and delete of one VM. */
    private Object lock(String id) {
        return locks.computeIfAbsent(id, k -> new Object());
    }

    private synchronized Vm allocate(CreateRequest req, int diskGib, String kernelVersion, Deque<Undo> undo)
            throws VmException {
        String name;
        if (req.name().isPresent()) {
            name = req.name().get();
            if (nameExists(name) || pendingNames.contains(name)) {
                throw new VmException(VmException.Reason.CONFLICT, "VM name already in use");
            }
        } else {
            name = names.newName(n -> nameExists(n) || pendingNames.contains(n));
        }
        String id;
        do {
            id = names.newId();
        } while (vms.containsKey(id));
        int address = addresses.allocate().orElseThrow(() -> new VmException(VmException.Reason.UNAVAILABLE,
                "No free VM address left in " + addresses.subnet()));
        Optional<Integer> port = ports.allocate();
        if (port.isEmpty()) {
            addresses.release(address);
            throw new VmException(VmException.Reason.UNAVAILABLE,
                    "No free host port left in " + config.portMin() + "-" + config.portMax());
        }
        pendingNames.add(name);
        undo.push(() -> {
            synchronized (this) {
                pendingNames.remove(name);
            }
        });
        undo.push(() -> addresses.release(address));
        undo.push(() -> ports.release(port.get()));
        return new Vm(id, name, req.template(), Ipv4.format(address), Network.tapName(id), mac(id), port.get(),
                req.vcpuCount().orElse(config.defaultVcpuCount()), req.memSizeMib().orElse(config.defaultMemSizeMib()),
                diskGib, System.currentTimeMillis(), Vm.Status.running, hypervisor.kind().key(), 0, null, null,
                kernelVersion);
    }

    private void rollback(Vm vm, String operation, Deque<Undo> undo, Exception cause) {
        LOG.error("{}: {} failed, undoing {} step(s): {}", vm.id(), operation, undo.size(), cause.getMessage());
        while (!undo.isEmpty()) {
            try {
                undo.pop().run();
            } catch (Exception e) {
                LOG.error("{}: undo step failed: {}", vm.id(), e.getMessage());
            }
        }
    }

    private void checkSpace(int diskGib) throws VmException {
        try {
            long free = Files.getFileStore(HostStats.nearestExisting(config.vmsDir())).getUsableSpace();
            long need = diskGib * GIB + RESERVE_BYTES;
            if (free < need) {
                throw new VmException(VmException.Reason.INSUFFICIENT_STORAGE, "Insufficient storage: "
                        + gb(free) + "GB available, need " + gb(need) + "GB");
            }
        } catch (IOException e) {
            throw new VmException(VmException.Reason.FAILED, "Cannot check free space: " + e.getMessage(), e);
        }
    }

    // ---- delete -------------------------------------------------------------------------

    public void delete(String idOrName) throws VmException {
        Vm vm = get(idOrName);
        synchronized (lock(vm.id())) {
            synchronized (this) {
                vm = vms.remove(vm.id());
                if (vm == null) {
                    throw new VmException(VmException.Reason.NOT_FOUND, "VM not found");
                }
            }
            try {
                // A delete cut short (crash) is finished at the next start, never undone.
                store.markDeleting(vm.id());
            } catch (IOException e) {
                LOG.error("{}: cannot mark for deletion: {}", vm.id(), e.getMessage());
            }
            CrashPoint.reach("delete:marked");
            teardown(vm);
        }
        locks.remove(vm.id());
        LOG.info("{}: deleted {}", vm.id(), vm.name());
    }

    /** Stops and removes everything of a VM; tolerant of parts that are already gone. */
    private void teardown(Vm vm) {
        halt(vm, false);
        CrashPoint.reach("delete:halted");
        try {
            applyFirewall();
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

    private synchronized void forget(Vm vm) {
        vms.remove(vm.id());
    }

    // ---- snapshot -----------------------------------------------------------------------

    public Snapshot snapshot(String idOrName, String template) throws VmException {
        Vm found = get(idOrName);
        synchronized (lock(found.id())) {
            return snapshotLocked(get(found.id()), template);
        }
    }

    private Snapshot snapshotLocked(Vm vm, String template) throws VmException {
        if (templates.exists(template) || !busyTemplates.add(template)) {
            throw new VmException(VmException.Reason.CONFLICT, "Template already exists");
        }
        Path partial = templates.partial(template);
        try {
            if (templates.exists(template)) {
                throw new VmException(VmException.Reason.CONFLICT, "Template already exists");
            }
            Files.createDirectories(templates.dir());
            VmSpec spec = spec(vm);
            boolean paused = false;
            if (vm.status() == Vm.Status.running) {
                hypervisor.pause(spec);
                paused = true;
            }
            CrashPoint.reach("snapshot:paused");
            try {
                cloner.copy(spec.disk(), partial);
                CrashPoint.reach("snapshot:copied");
            } finally {
                if (paused) {
                    hypervisor.resume(spec);
                }
            }
            ImageEditor.clearIdentity(partial);
            CrashPoint.reach("snapshot:scrubbed");
            Files.move(partial, templates.image(template), StandardCopyOption.ATOMIC_MOVE);
            long now = System.currentTimeMillis();
            // After the rename, and never failing the snapshot: a template without metadata is whole,
            // its VMs boot the configured kernel.
            try {
                templates.writeMetadata(template, vm.id(), now, vm.kernelVersion());
            } catch (IOException e) {
                LOG.warn("{}: template {} has no metadata ({}); its VMs boot the configured kernel", vm.id(),
                        template, e.getMessage());
            }
            LOG.info("{}: snapshot saved as template {}", vm.id(), template);
            return new Snapshot(template, vm.id(), size(templates.image(template)), now);
        } catch (HypervisorException | IOException | CommandException e) {
            throw new VmException(VmException.Reason.FAILED, "Snapshot failed: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException e) {
                LOG.error("cannot remove {}: {}", partial, e.getMessage());
            }
            busyTemplates.remove(template);
        }
    }

    public void deleteTemplate(String name) throws VmException {
        if (config.isProtected(name)) {
            throw new VmException(VmException.Reason.FORBIDDEN, "Cannot delete protected template");
        }
        if (busyTemplates.contains(name)) {
            throw new VmException(VmException.Reason.CONFLICT, "Template is being written");
        }
        try {
            if (!templates.delete(name)) {
                throw new VmException(VmException.Reason.NOT_FOUND, "Template not found");
            }
            LOG.info("template {} deleted", name);
        } catch (IOException e) {
            throw new VmException(VmException.Reason.FAILED, "Cannot delete template: " + e.getMessage(), e);
        }
    }

    // ---- start-up -----------------------------------------------------------------------

    /**
     * Re-attaches to the VMs recorded on disk: live hypervisors get their proxy back, dead
     * ones are marked stopped with their disk kept. Corrupt records are moved aside and
     * directories without a record (an interrupted create) removed, one log line each.
     */
    public void recover() throws IOException, CommandException {
        for (VmStore.Loaded l : store.loadAll()) {
            if (l.vm() == null) {
                if ("no record".equals(l.problem())) {
                    LOG.warn("removing {}: no vm.json (interrupted create)", l.dir());
                    store.deleteDir(l.dir().getFileName().toString());
                } else {
                    Path aside = l.dir().resolve("vm.json.corrupt-" + System.currentTimeMillis());
                    LOG.error("{}: {}; moved aside to {}", l.dir().getFileName(), l.problem(), aside.getFileName());
                    if (Files.exists(l.dir().resolve(VmStore.RECORD))) {
                        Files.move(l.dir().resolve(VmStore.RECORD), aside);
                    }
                }
                continue;
            }
            Vm vm = l.vm();
            if (l.deleting()) {
                LOG.warn("{}: finishing a delete that was interrupted", vm.id());
                teardown(vm);
                continue;
            }
            addresses.reserve(Ipv4.parse(vm.guestAddress()));
            ports.reserve(vm.sshPort());
            boolean wasRunning = vm.status() == Vm.Status.running;
            if (vm.pid() > 0 && process(vm).alive()) {
                proxies.put(vm.id(), new TcpProxy(vm.id(), vm.sshPort(),
                        new InetSocketAddress(vm.guestAddress(), 22)));
                vm = vm.withStatus(Vm.Status.running);
                try {
                    // A snapshot cut short may have left it paused.
                    hypervisor.resume(spec(vm));
                } catch (HypervisorException e) {
                    LOG.warn("{}: cannot make sure it is not paused: {}", vm.id(), e.getMessage());
                }
                LOG.info("{}: re-attached to {} (pid {})", vm.id(), vm.name(), vm.pid());
                if (vm.unit() != null && !launcher.stopsCleanly(vm.unit())) {
                    LOG.warn("{}: started by an older scaleboxd, its unit cuts the guest's power at host shutdown;"
                            + " stop and start it once (POST /vms/{}/stop, /start) to get the clean stop", vm.id(),
                            vm.name());
                }
            } else if (wasRunning) {
                network.deleteTap(vm.tap());
                vm = vm.withProcess(Vm.Status.stopped, 0, null, null);
                store.save(vm);
                LOG.warn("{}: hypervisor gone; marked stopped, disk kept", vm.id());
            }
            synchronized (this) {
                vms.put(vm.id(), vm);
            }
            if (wasRunning && vm.status() == Vm.Status.stopped && config.autostart()) {
                try {
                    start(vm.id());
                } catch (VmException e) {
                    LOG.error("{}: autostart failed: {}", vm.id(), e.getMessage());
                }
            }
        }
        for (Path partial : templates.partials()) {
            LOG.warn("removing {}: an interrupted snapshot", partial.getFileName());
            Files.deleteIfExists(partial);
        }
        reconcile();
        applyFirewall();
    }

    /**
     * Removes TAPs, hypervisor processes and units with scalebox's naming, and nftables rules,
     * that belong to no VM (the rules go when the table is rewritten from the records).
     */
    private void reconcile() throws CommandException {
        Set<String> taps = new HashSet<>();
        Set<String> ids = new HashSet<>();
        for (Vm v : list()) {
            ids.add(v.id());
            if (v.status() == Vm.Status.running) {
                taps.add(v.tap());
            }
        }
        for (String id : firewall.vmIdsInTable()) {
            if (!ids.contains(id)) {
                LOG.warn("{}: removing orphan nftables rules", id);
            }
        }
        for (String tap : network.taps()) {
            if (!taps.contains(tap) && network.deleteTap(tap)) {
                LOG.warn("removed orphan TAP {}", tap);
            }
        }
        String marker = config.vmsDir() + "/vm-";
        Set<String> hypervisors = Set.of(realPath(config.qemuBin()), realPath(config.firecrackerBin()));
        ProcessHandle.allProcesses().filter(h -> h.info().command().map(hypervisors::contains).orElse(false))
                .forEach(h -> h.info().arguments().ifPresent(args -> {
            for (String a : args) {
                int at = a.indexOf(marker);
                if (at >= 0 && a.length() >= at + marker.length() + 12) {
                    String id = a.substring(at + marker.length() - 3, at + marker.length() + 12);
                    if (!ids.contains(id) && id.matches("vm-[0-9a-f]{12}")) {
                        LOG.warn("{}: ending orphan hypervisor process {}", id, h.pid());
                        h.destroy();
                    }
                    return;
                }
            }
        }));
        if (launcher.usesSystemd()) {
            for (String unit : launcher.units()) {
                String id = unit.substring(ProcessLauncher.UNIT_PREFIX.length()).replace(".service", "");
                if (!ids.contains(id)) {
                    LOG.warn("{}: stopping orphan unit {}", id, unit);
                    launcher.stopUnit(unit);
                }
            }
        }
    }

    /** Closes the proxies (the daemon stops; VMs keep running). */
    public void detach() {
        proxies.values().forEach(TcpProxy::close);
        proxies.clear();
    }

    // ---- helpers ------------------------------------------------------------------------

    /** A missing kernel would only fail inside the hypervisor: say which command fixes it. */
    private static void requireKernel(GuestKernel kernel) throws VmException {
        Optional<String> problem = kernel.problem();
        if (problem.isPresent()) {
            throw new VmException(VmException.Reason.UNAVAILABLE, problem.get());
        }
    }

    private void applyFirewall() throws CommandException {
        List<Firewall.Forward> forwards = new ArrayList<>();
        for (Vm v : list()) {
            forwards.add(new Firewall.Forward(v.id(), Ipv4.parse(v.guestAddress()), v.sshPort()));
        }
        firewall.apply(forwards);
    }

    VmSpec spec(Vm vm) {
        var subnet = addresses.subnet();
        GuestKernel kernel = kernels.forVersion(vm.kernelVersion());
        return new VmSpec(vm.id(), vm.name(), store.dir(vm.id()), kernel.kernel(), kernel.initrd(),
                store.dir(vm.id()).resolve("rootfs.ext4"), vm.tap(), vm.mac(), vm.guestAddress(),
                subnet.addressText(), subnet.netmaskText(), resolvers.nameservers(), vm.vcpuCount(),
                vm.memSizeMib());
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
            throw new VmException(VmException.Reason.NOT_FOUND, "Template not found");
        }
    }

    private static String realPath(Path p) {
        try {
            return p.toRealPath().toString();
        } catch (IOException e) {
            return p.toString();
        }
    }

    private static String gb(long bytes) {
        double g = Math.round(bytes / (double) GIB * 10) / 10.0;
        return g == Math.rint(g) ? String.valueOf((long) g) : String.valueOf(g);
    }

    /** One step's undo. */
    @FunctionalInterface
    private interface Undo {
        void run() throws Exception;
    }
}
