package io.scalebox.vm;

import io.scalebox.host.CommandException;
import io.scalebox.hypervisor.GuestShutdown;
import io.scalebox.hypervisor.Hypervisor;
import io.scalebox.hypervisor.HypervisorException;
import io.scalebox.hypervisor.HypervisorKind;
import io.scalebox.hypervisor.VmProcess;
import io.scalebox.hypervisor.VmProcesses;
import io.scalebox.hypervisor.VmSpec;
import io.scalebox.network.ForwardingTable;
import io.scalebox.network.TapDevices;
import io.scalebox.storage.DiskImages;
import io.scalebox.storage.SpaceProbe;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The host as the engine's unit tests see it: TAPs, firewall table, disk images, port
 * proxies, hypervisor and processes kept in memory (disks as small files), every action
 * able to fail on request ({@link #failAt}), every call recorded.
 */
final class FakeHost {
    /** Where a test makes the next call fail: a fault point or one of the action names below. */
    volatile String failAt = "";
    /** Whether guests power off when asked (the ACPI button or Ctrl-Alt-Del). */
    volatile boolean guestsObey = true;
    volatile boolean hostStopping;
    /** What the fake hypervisor's saved states are tied to (a test changes it: a hypervisor upgrade). */
    volatile String stateFormat = "fake-hypervisor 1";
    final Set<String> taps = ConcurrentHashMap.newKeySet();
    final Set<Integer> openPorts = ConcurrentHashMap.newKeySet();
    final Set<Long> live = ConcurrentHashMap.newKeySet();
    final Set<String> units = ConcurrentHashMap.newKeySet();
    final Map<Long, String> strayHypervisors = new ConcurrentHashMap<>();
    final Set<Long> ended = ConcurrentHashMap.newKeySet();
    final Set<String> stoppedUnits = ConcurrentHashMap.newKeySet();
    final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
    volatile Set<String> tableIds = new TreeSet<>();
    volatile List<ForwardingTable.Guest> forwards = List.of();
    /** Whether the firewall tables are as last applied (a test "flushes" them by clearing it). */
    volatile boolean tablesIntact = true;
    /** What the filesystem reports: free bytes, and bytes the VM disks already hold. */
    volatile long freeBytes = 1000 * DiskBudget.GIB;
    volatile long allocatedBytes = 0;
    private final AtomicLong pids = new AtomicLong(100_000);

    private void maybeFail(String action) throws CommandException {
        calls.add(action);
        if (action.equals(failAt)) {
            throw new CommandException(List.of("fake-" + action), "failed", "injected failure at " + action);
        }
    }

    Host host() {
        TapDevices tapDevices = new TapDevices() {
            @Override
            public void createTap(String tap) throws CommandException {
                maybeFail("tap");
                taps.add(tap);
            }

            @Override
            public boolean deleteTap(String tap) {
                return taps.remove(tap);
            }

            @Override
            public List<String> taps() {
                return List.copyOf(taps);
            }
        };
        ForwardingTable firewall = new ForwardingTable() {
            @Override
            public void apply(Collection<Guest> f) throws CommandException {
                maybeFail("firewall");
                forwards = List.copyOf(f);
                tableIds = new TreeSet<>(f.stream().map(Guest::vmId).toList());
                tablesIntact = true;
            }

            @Override
            public boolean intact() {
                return tablesIntact;
            }

            @Override
            public Set<String> vmIdsInTable() {
                return tableIds;
            }
        };
        DiskImages disks = new DiskImages() {
            @Override
            public void copy(Path from, Path to) throws CommandException {
                maybeFail("copy");
                try {
                    Files.copy(from, to);
                } catch (IOException e) {
                    throw new CommandException(List.of("fake-copy"), "failed", e.getMessage());
                }
            }

            @Override
            public void grow(Path image, long bytes) throws IOException, CommandException {
                maybeFail("grow");
                try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
                    f.setLength(bytes);
                }
            }

            @Override
            public void setUserKey(Path image, String key) throws IOException, CommandException {
                maybeFail("key");
                Files.writeString(image.resolveSibling("authorized_keys"), key);
            }

            @Override
            public void clearIdentity(Path image) throws CommandException {
                maybeFail("scrub");
            }
        };
        Hypervisor hypervisor = new Hypervisor() {
            @Override
            public HypervisorKind kind() {
                return HypervisorKind.QEMU;
            }

            @Override
            public VmProcess start(VmSpec spec) throws HypervisorException {
                try {
                    maybeFail("hypervisor");
                } catch (CommandException e) {
                    throw new HypervisorException(e.getMessage());
                }
                long pid = pids.incrementAndGet();
                live.add(pid);
                return new VmProcess(pid, Optional.empty(), "fake-qemu\0" + spec.dir() + "\0");
            }

            @Override
            public io.scalebox.agent.AgentChannel agentChannel(Path vmDir) {
                return io.scalebox.agent.AgentChannel.qemu(vmDir.resolve("ctl/qga.sock")); // nobody there
            }

            @Override
            public long save(VmSpec spec, VmProcess process, Path dir) throws HypervisorException {
                try {
                    maybeFail("save");
                    Files.writeString(dir.resolve("fake.state"), "memory of " + process.pid());
                } catch (CommandException | IOException e) {
                    throw new HypervisorException(e.getMessage());
                }
                live.remove(process.pid());
                return 1234;
            }

            @Override
            public VmProcess restore(VmSpec spec, Path dir) throws HypervisorException {
                try {
                    maybeFail("restore");
                    calls.add("restored " + Files.readString(dir.resolve("fake.state")));
                } catch (CommandException | IOException e) {
                    throw new HypervisorException(e.getMessage());
                }
                long pid = pids.incrementAndGet();
                live.add(pid);
                return new VmProcess(pid, Optional.empty(), "fake-qemu\0" + spec.dir() + "\0");
            }

            @Override
            public VmProcess restoreClone(VmSpec spec, Path dir) throws HypervisorException {
                VmProcess process = restore(spec, dir);
                calls.add("link down " + spec.id());
                return process;
            }

            @Override
            public void setLink(VmSpec spec, boolean up) {
                calls.add("link " + (up ? "up " : "down ") + spec.id());
            }

            @Override
            public String stateFormat() {
                return stateFormat;
            }

            @Override
            public void pause(VmSpec spec) {
                calls.add("pause " + spec.id());
            }

            @Override
            public void resume(VmSpec spec) {
                calls.add("resume " + spec.id());
            }
        };
        VmProcesses processes = new VmProcesses() {
            @Override
            public boolean alive(VmProcess process) {
                return live.contains(process.pid());
            }

            @Override
            public GuestShutdown.Outcome powerOff(VmProcess process, GuestShutdown.Request request) {
                calls.add("powerOff " + process.pid());
                if (guestsObey) {
                    live.remove(process.pid());
                    return new GuestShutdown.Outcome(true, 1200, Optional.empty());
                }
                live.remove(process.pid());
                return new GuestShutdown.Outcome(false, 30_000, Optional.of("guest did not power off within 30 s"));
            }

            @Override
            public void stop(VmProcess process) {
                calls.add("stop " + process.pid());
                live.remove(process.pid());
            }

            @Override
            public List<String> units() {
                return List.copyOf(units);
            }

            @Override
            public void stopUnit(String unit) {
                stoppedUnits.add(unit);
                units.remove(unit);
            }

            @Override
            public boolean stopsCleanly(String unit) {
                return true;
            }

            @Override
            public boolean hostStopping() {
                return hostStopping;
            }

            @Override
            public Map<Long, String> hypervisorsUnder(Path vmsDir, Set<Path> binaries) {
                return new HashMap<>(strayHypervisors);
            }

            @Override
            public void end(long pid) {
                ended.add(pid);
            }
        };
        SpaceProbe space = new SpaceProbe() {
            @Override
            public long usable(Path dir) {
                return freeBytes;
            }

            @Override
            public long allocated(Path dir) {
                return allocatedBytes;
            }
        };
        return new Host(tapDevices, firewall, disks, space, (vmId, port, guest) -> {
            try {
                maybeFail("proxy");
            } catch (CommandException e) {
                throw new IOException(e.getMessage());
            }
            openPorts.add(port);
            return () -> openPorts.remove(port);
        }, hypervisor, processes, point -> {
            if (point.equals(failAt)) {
                throw new IllegalStateException("injected failure at " + point);
            }
        });
    }
}
