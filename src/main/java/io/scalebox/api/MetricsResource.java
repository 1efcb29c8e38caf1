package io.scalebox.api;

import io.scalebox.config.Config;
import io.scalebox.host.HostStats;
import io.scalebox.host.ProcessUsage;
import io.scalebox.hypervisor.HypervisorKind;
import io.scalebox.hypervisor.VmProcess;
import io.scalebox.metrics.Metrics;
import io.scalebox.metrics.Readings;
import io.scalebox.network.ProxyTraffic;
import io.scalebox.storage.AllocatedBytes;
import io.scalebox.storage.GuestKernel;
import io.scalebox.storage.TemplateStore;
import io.scalebox.vm.Vm;
import io.scalebox.vm.VmManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code GET /metrics}: the Prometheus text format of the daemon's instruments and of what is
 * read at scrape time: the host, the data directory, and each VM (labels id, name, template).
 */
public final class MetricsResource {
    private static final long MIB = 1024 * 1024;
    private static final long GIB = 1024 * MIB;
    /** The labels of every per-VM figure. */
    private static final String[] VM = {"id", "name", "template"};

    private final Config config;
    private final Metrics metrics;
    private final VmManager vms;
    private final TemplateStore templates;
    private final GuestKernel kernel;
    private final HostStats host;
    private final ProcessUsage usage;
    private final AllocatedBytes allocated;
    private final Supplier<Map<String, ProxyTraffic>> traffic;
    private final String version;
    private final HypervisorKind hypervisor;

    public MetricsResource(Config config, Metrics metrics, VmManager vms, TemplateStore templates, GuestKernel kernel,
                           HostStats host, ProcessUsage usage, AllocatedBytes allocated,
                           Supplier<Map<String, ProxyTraffic>> traffic, String version, HypervisorKind hypervisor) {
        this.config = config;
        this.metrics = metrics;
        this.vms = vms;
        this.templates = templates;
        this.kernel = kernel;
        this.host = host;
        this.usage = usage;
        this.allocated = allocated;
        this.traffic = traffic;
        this.version = version;
        this.hypervisor = hypervisor;
    }

    public List<Route> routes() {
        return List.of(Route.metrics("GET", "/metrics", r -> Response.text(Metrics.CONTENT_TYPE, scrape())));
    }

    byte[] scrape() {
        try {
            Readings readings = new Readings();
            readHost(readings);
            readVms(readings);
            ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
            metrics.write(out, readings);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void readHost(Readings r) throws IOException {
        r.gauge("scalebox_info", "The daemon's version and hypervisor (always 1)", "version", "hypervisor", "accel")
                .set(1, version, hypervisor.key(), hypervisor.accel(config));
        r.gauge("scalebox_host_cpu_ratio", "Busy share of the host's CPUs (0-1) since the previous reading")
                .set(host.cpuPercent() / 100);
        HostStats.Memory mem = host.memory();
        r.gauge("scalebox_host_memory_bytes", "The host's memory", "kind")
                .set(mem.total(), "total").set(mem.free(), "available");
        HostStats.Storage disk = host.storage(config.dataDir());
        r.gauge("scalebox_storage_bytes", "The filesystem of DATA_DIR; committed: nominal sizes of the VMs' disks",
                "kind").set(disk.total(), "total").set(disk.free(), "free").set(vms.committedBytes(), "committed");
        r.gauge("scalebox_kernel_ready", "1 when the configured guest kernel exists").set(kernel.ready() ? 1 : 0);
        r.gauge("scalebox_base_template_ready", "1 when the debian-base template has been built")
                .set(templates.exists(Config.BASE_TEMPLATE) ? 1 : 0);
        r.gauge("scalebox_templates", "Templates in DATA_DIR").set(templates.list().size());
    }

    /** A VM's labels (names or values) and one more. */
    private static String[] with(String[] vm, String more) {
        String[] all = java.util.Arrays.copyOf(vm, vm.length + 1);
        all[vm.length] = more;
        return all;
    }

    private static String[] withVm(String more) {
        return with(VM, more);
    }

    private void readVms(Readings r) {
        List<Vm> list = vms.list();
        Map<Path, Long> diskBytes = allocated.of(list.stream().map(vms::disk).toList());
        Map<String, ProxyTraffic> proxies = traffic.get();
        Readings.Family count = r.gauge("scalebox_vms", "VMs by state", "state");
        Readings.Family state = r.gauge("scalebox_vm_state", "1 for the VM's current state", withVm("state"));
        Readings.Family vcpus = r.gauge("scalebox_vm_vcpus", "vCPUs configured", VM);
        Readings.Family memory = r.gauge("scalebox_vm_memory_configured_bytes", "Guest memory configured", VM);
        Readings.Family diskSize = r.gauge("scalebox_vm_disk_size_bytes", "Nominal size of the VM's disk", VM);
        Readings.Family diskUsed = r.gauge("scalebox_vm_disk_allocated_bytes",
                "Bytes the VM's sparse disk occupies in DATA_DIR", VM);
        Readings.Family cpu = r.counter("scalebox_vm_cpu_seconds",
                "CPU time of the VM's hypervisor (its unit's cgroup under systemd), since it started", VM);
        Readings.Family used = r.gauge("scalebox_vm_memory_used_bytes",
                "Memory of the VM's hypervisor: its unit's cgroup under systemd, else its resident set", VM);
        Readings.Family open = r.gauge("scalebox_vm_proxy_connections", "Connections open on the VM's SSH port", VM);
        Readings.Family accepted = r.counter("scalebox_vm_proxy_connections_accepted",
                "Connections accepted on the VM's SSH port since it opened", VM);
        Readings.Family refused = r.counter("scalebox_vm_proxy_connections_refused",
                "Connections refused or dropped by the port's caps since it opened", VM);
        Readings.Family bytes = r.counter("scalebox_vm_proxy_bytes",
                "Bytes through the VM's SSH port since it opened", withVm("direction"));
        int running = 0;
        for (Vm vm : list) {
            String[] l = {vm.id(), vm.name(), vm.template()};
            state.set(1, with(l, vm.status().name()));
            vcpus.set(vm.vcpuCount(), l);
            memory.set(vm.memSizeMib() * MIB, l);
            diskSize.set(vm.diskSizeGib() * GIB, l);
            Optional.ofNullable(diskBytes.get(vms.disk(vm))).ifPresent(b -> diskUsed.set(b, l));
            if (vm.process().isPresent()) {
                running++;
                VmProcess p = vm.process().get();
                usage.of(p.pid(), p.unit().isPresent()).ifPresent(u -> {
                    cpu.set(u.cpuSeconds(), l);
                    used.set(u.memoryBytes(), l);
                });
            }
            ProxyTraffic t = proxies.get(vm.id());
            if (t != null) {
                open.set(t.open(), l);
                accepted.set(t.accepted(), l);
                refused.set(t.refused(), l);
                bytes.set(t.bytesToGuest(), with(l, "to_guest"));
                bytes.set(t.bytesFromGuest(), with(l, "from_guest"));
            }
        }
        long paused = list.stream().filter(v -> v.status() == Vm.Status.paused).count();
        count.set(running, "running").set(paused, "paused").set(list.size() - running - paused, "stopped");
    }
}
