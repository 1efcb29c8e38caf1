package io.scalebox.daemon;

import io.scalebox.api.ApiServer;
import io.scalebox.api.Authenticator;
import io.scalebox.api.EventStream;
import io.scalebox.api.GuestResource;
import io.scalebox.api.SlowRequests;
import io.scalebox.api.MetricsResource;
import io.scalebox.api.Route;
import io.scalebox.api.SystemResource;
import io.scalebox.api.TemplateResource;
import io.scalebox.api.VmResource;
import io.scalebox.config.Config;
import io.scalebox.events.EventLog;
import io.scalebox.forwarder.Forwarders;
import io.scalebox.guest.Execs;
import io.scalebox.guest.GuestFiles;
import io.scalebox.host.Account;
import io.scalebox.host.Background;
import io.scalebox.host.CommandException;
import io.scalebox.host.HostAddress;
import io.scalebox.host.HostStats;
import io.scalebox.host.ProcessUsage;
import io.scalebox.host.ToolSandbox;
import io.scalebox.https.CaddySite;
import io.scalebox.https.VmHostnames;
import io.scalebox.https.VmHttpRouter;
import io.scalebox.hypervisor.GuestShutdown;
import io.scalebox.hypervisor.Hypervisor;
import io.scalebox.hypervisor.HypervisorKind;
import io.scalebox.hypervisor.ProcessLauncher;
import io.scalebox.metrics.Metrics;
import io.scalebox.network.AddressPool;
import io.scalebox.network.Firewall;
import io.scalebox.network.Network;
import io.scalebox.network.PortPool;
import io.scalebox.network.PortProxies;
import io.scalebox.network.Resolvers;
import io.scalebox.storage.AllocatedBytes;
import io.scalebox.storage.DiskCloner;
import io.scalebox.storage.Ext4Images;
import io.scalebox.storage.GuestKernel;
import io.scalebox.storage.KernelStore;
import io.scalebox.storage.SpaceProbe;
import io.scalebox.storage.TemplateStore;
import io.scalebox.vm.FaultPoints;
import io.scalebox.vm.Host;
import io.scalebox.vm.VmManager;
import io.scalebox.vm.VmStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** Wires the daemon's parts from a validated configuration and runs the API server. */
public final class Daemon {
    private static final Logger LOG = LogManager.getLogger(Daemon.class);
    private static final Path PROC = Path.of("/proc");
    /** Runtime state (the forwarders' sockets, the bridge's marker); the tests give each run its own. */
    private static final Path RUN_DIR = Path.of(System.getProperty("scalebox.run", "/run/scalebox"));
    /** The scaleboxd launcher: VM units' ExecStop and the forwarder run it (the tests name their own). */
    private static final Path LAUNCHER = Path.of(System.getProperty("scalebox.daemon", "/usr/sbin/scaleboxd"));
    /** How often the firewall tables are checked against what the daemon last wrote. */
    private static final Duration FIREWALL_CHECK = Duration.ofSeconds(10);

    private final Config config;
    private final int port;
    private final boolean hostSetup;
    private Network network;
    private VmManager manager;
    private ApiServer server;
    private ScheduledExecutorService guard;
    /** Its own thread: reaping waits for a VM's lock, which a stop holds up to VM_STOP_TIMEOUT. */
    private ScheduledExecutorService crashWatch;
    /** The agents and background commands: probes wait on guests, so not on the housekeeping thread. */
    private ScheduledExecutorService agentWatch;
    private ScheduledExecutorService warmKeeper;
    /** The VM ports' forwarders: they keep running when the daemon stops. */
    private Forwarders forwarders;
    private VmHttpRouter router;
    private EventLog events;
    private final Metrics metrics = new Metrics();
    /** This host in a fleet (FLEET_ETCD), or null. */
    private io.scalebox.fleet.FleetNode fleet;
    /** How long a reading of the disks' allocated bytes (one du) serves scrapes. */
    private static final Duration DISK_READING_AGE = Duration.ofSeconds(15);
    /** How often the site in Caddy is checked (a reload of Caddy drops it). */
    private static final Duration CADDY_CHECK = Duration.ofSeconds(5);

    /**
     * @param hostSetup false for --self-test: no bridge, nftables or recovery (needs no root)
     */
    public Daemon(Config config, int port, boolean hostSetup) {
        this.config = config;
        this.port = port;
        this.hostSetup = hostSetup;
    }

    /** Prepares directories, the bridge and the VMs recorded on disk, then binds the port. */
    public void start() throws IOException, CommandException {
        Optional<java.nio.channels.ServerSocketChannel> socket = hostSetup ? ApiSocket.take(config.apiBind(), port)
                : Optional.empty();
        StartPhases phases = new StartPhases();
        Background.start("warm-up", () -> {
            io.scalebox.api.HttpListener.warmUp();
            return null;
        });
        HostFiles files = new HostFiles(config, RUN_DIR);
        files.makeDataDirs();
        // Kept on disk so that ids go on across restarts and a resuming client misses nothing.
        events = hostSetup ? EventLog.persistent(java.time.Clock.systemUTC(), config.dataDir().resolve("events.jsonl"))
                : new EventLog(java.time.Clock.systemUTC());
        HypervisorKind kind = HypervisorKind.resolve(config);
        // Answered while the bridge and recovery go on; logged once they are done.
        DiskCloner cloner = DiskCloner.probe(config.vmsDir());
        LOG.info("scaleboxd {} starting: hypervisor {} ({}), data in {}", Version.current(), kind.key(),
                kind.accel(config), config.dataDir());
        Path builtInitrd = config.kernelPath().resolveSibling("initrd.img");
        if (config.initrdPath().isEmpty() && Files.isRegularFile(builtInitrd)) {
            // An install from before the base build wrote "INITRD_PATH=": the cloud kernel cannot
            // find its disk without the initrd, and upgrades never rewrite existing config lines.
            LOG.warn("INITRD_PATH is empty but {} exists: VMs booting the built kernel need it; set "
                    + "INITRD_PATH={} in the configuration and restart", builtInitrd, builtInitrd);
        }
        String hostIp = config.hostIp().orElseGet(() -> HostAddress.detect(PROC));
        TemplateStore templates = new TemplateStore(config.templatesDir());
        // Hypervisors and image tools never run as root (--self-test, unprivileged, runs neither).
        Account account = Account.lookup(hostSetup ? Account.DEFAULT : System.getProperty("user.name"));
        if (hostSetup) {
            files.shareWith(account);
        }
        network = new Network(config.bridgeName(), config.bridgeAddress(), RUN_DIR, account.name());
        // Units run "scaleboxd --stop-vm" as their ExecStop; the launcher script names itself.
        // Probed once: VMs and image tools go through the same systemd (or the same fallback).
        boolean systemd = ProcessLauncher.systemdRuns();
        ProcessLauncher launcher = new ProcessLauncher(systemd, account, config.dataDir(),
                LAUNCHER, config.vmStopTimeout(),
                GuestShutdown.system());
        Hypervisor hypervisor = Hypervisors.configured(config, kind, account, launcher);
        KernelStore kernels = new KernelStore(config.dataDir().resolve("kernel"),
                new GuestKernel(config.kernelPath(), config.initrdPath()));
        // GUEST_DNS, else the host's upstream resolvers (read again at each use: they may change).
        Resolvers resolvers = Resolvers.host();
        Supplier<List<String>> guestDns = config.guestDns().isEmpty() ? resolvers::nameservers : config::guestDns;
        Firewall firewall = new Firewall(config.bridgeName(), config.bridgeAddress(), config.guestEgressAllow(),
                config.guestEgressDeny(), guestDns);
        // The VM ports live in the forwarder, a process of its own: open sessions outlive this daemon.
        Background<Void, IOException> forwarderStart = null;
        PortProxies proxies = (vm, port, guest) -> {
            throw new IOException("no VM ports in the self-test");
        };
        if (hostSetup) {
            Account net = Account.lookup(Account.NET);
            forwarders = Forwarders.at(files.forwarderDir(net), systemd, net, LAUNCHER, Version.current());
            forwarderStart = Background.start("forwarder", () -> {
                try {
                    forwarders.start();
                } catch (IOException e) {
                    // The API comes up all the same; VM ports wait for the next try (every 5 s, or a create).
                    LOG.error("cannot start the forwarder of the VM ports: {}", e.getMessage());
                }
                return null;
            });
            proxies = forwarders;
        }
        Host host = new Host(network, firewall, new Ext4Images(cloner,
                new ToolSandbox(account, systemd, config.dataDir())), SpaceProbe.host(), proxies, hypervisor,
                launcher, FaultPoints.fromEnvironment());
        manager = new VmManager(config, host, new VmStore(config.vmsDir()), templates, kernels,
                new AddressPool(config.bridgeAddress()), new PortPool(config.portMin(), config.portMax()), guestDns,
                events, metrics);
        Execs execs = new Execs(manager.agents(), config.vmsDir(), metrics, manager::status);
        if (hostSetup) {
            phases.mark("parts");
            network.ensureBridge();
            phases.mark("bridge");
            forwarderStart.join();
            phases.mark("forwarder");
            manager.recover();
            phases.mark("recovery");
            forwarders.settle();
            phases.mark("ports");
            if (firewall.hostForwardDrops()) {
                LOG.warn("the host's iptables FORWARD chain drops by default (Docker sets this): VMs have no network"
                        + " until it lets the bridge through, e.g. iptables -I DOCKER-USER -i {} -j ACCEPT;"
                        + " iptables -I DOCKER-USER -o {} -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT",
                        config.bridgeName(), config.bridgeName());
            }
            // Housekeeping: someone may flush the ruleset (a firewall reload, nft flush ruleset), put
            // ours back; guests may flood their consoles, cut the logs down.
            guard = Background.scheduler("housekeeping");
            guard.scheduleWithFixedDelay(manager::repairFirewall, FIREWALL_CHECK.toSeconds(),
                    FIREWALL_CHECK.toSeconds(), TimeUnit.SECONDS);
            guard.scheduleWithFixedDelay(manager::capConsoleLogs, 1, 1, TimeUnit.SECONDS);
            guard.scheduleWithFixedDelay(manager.templates()::noticeBaseBuild, 5, 5, TimeUnit.SECONDS);
            guard.scheduleWithFixedDelay(forwarders::check, 5, 5, TimeUnit.SECONDS);
            // A VM whose hypervisor exits on its own is marked stopped (vm.crashed) within a second or two.
            crashWatch = Background.scheduler("crash-watch");
            crashWatch.scheduleWithFixedDelay(manager::reapExited, 1, 1, TimeUnit.SECONDS);
            // The guests' agents (each probe bounded by its own deadline) and the background commands.
            agentWatch = Background.scheduler("agent-watch");
            agentWatch.scheduleWithFixedDelay(manager.agents()::watch, 0, 1, TimeUnit.SECONDS);
            execs.load(manager.list().stream().map(io.scalebox.vm.Vm::id).toList());
            agentWatch.scheduleWithFixedDelay(execs::watch, 1, 1, TimeUnit.SECONDS);
            // WARM_TEMPLATES: built after the start (never before /health answers), rebuilt when stale.
            if (!config.warmTemplates().isEmpty()) {
                warmKeeper = Background.scheduler("warm-keeper");
                warmKeeper.scheduleWithFixedDelay(manager.templates()::keepWarm, 5, 60, TimeUnit.SECONDS);
            }
        }
        // HTTPS: Caddy terminates TLS for *.BASE_DOMAIN and hands requests to the router, which picks the VM.
        Optional<CaddySite> caddy = config.baseDomain().map(d -> new CaddySite(d, config.https(), apiDial()));
        if (hostSetup && caddy.isPresent()) {
            VmHostnames hostnames = new VmHostnames(config.baseDomain());
            router = new VmHttpRouter(header -> hostnames.fromHostHeader(header).flatMap(manager::runningNamed)
                    .map(vm -> URI.create("http://" + vm.guestAddress() + ":" + config.https().vmHttpPort())));
            router.start(config.https().routerPort());
            guard.scheduleWithFixedDelay(caddy.get()::sync, 0, CADDY_CHECK.toSeconds(), TimeUnit.SECONDS);
        }
        LOG.info("disks are copied by {}", cloner.mode() == DiskCloner.Mode.REFLINK
                ? "copy-on-write clone (reflink)" : "sparse copy (no reflink on this filesystem)");
        phases.mark("housekeeping");
        List<Route> routes = new ArrayList<>();
        HostStats hostStats = new HostStats(PROC);
        TemplateResource templateResource = new TemplateResource(config, templates, manager, events);
        FleetParts fleetParts = config.fleet().enabled() && hostSetup ? FleetParts.create(config, manager, hostStats)
                : null;
        fleet = fleetParts == null ? null : fleetParts.node();
        VmResource vmResource = new VmResource(config, manager, hostIp, fleetParts == null ? Map::of
                : fleetParts::hostFields);
        if (fleetParts != null) {
            // First: the fleet's GET/POST /vms and GET /templates answer those paths.
            routes.addAll(fleetParts.routes(config, manager, vmResource, templateResource));
        }
        routes.addAll(new SystemResource(config, Version.current(), hostIp, hostStats, templates,
                kernels.configured(), manager::count, manager::committedBytes, cloner.mode().key(), kind, caddy,
                () -> fleet == null ? null : io.scalebox.api.FleetResource.info(fleet)).routes());
        routes.addAll(new MetricsResource(config, metrics, manager, templates, kernels.configured(), hostStats,
                ProcessUsage.host(), new AllocatedBytes(DISK_READING_AGE, java.time.Clock.systemUTC()),
                forwarders == null ? Map::of : forwarders::traffic, Version.current(), kind).routes());
        routes.addAll(vmResource.routes());
        routes.addAll(templateResource.routes());
        routes.add(new EventStream(events).route());
        SlowRequests slow = new SlowRequests();
        routes.addAll(new GuestResource(manager, execs, new GuestFiles(manager.agents(), metrics), slow).routes());
        server = new ApiServer(config.apiBind(), port, new Authenticator(config.apiToken(), config.metricsToken()), routes,
                metrics, slow, fleetParts == null ? (exchange, match) -> false : fleetParts.relay(manager));
        try {
            server.start(socket);
            phases.mark("api");
            LOG.debug("start took {}", phases);
            if (fleet != null) {
                fleet.start(); // after the API answers: joining never delays /health
            }
        } catch (RuntimeException e) {
            manager.detach();
            throw new IOException("listening on " + config.apiBind() + ":" + port + " failed: "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }

    /** Where Caddy, on this machine, reaches the API (API_DOMAIN, the on-demand "ask" hook). */
    private String apiDial() {
        String bind = config.apiBind();
        if (bind.equals("0.0.0.0") || bind.equals("::")) {
            return "127.0.0.1:" + port;
        }
        return (bind.contains(":") ? "[" + bind + "]" : bind) + ":" + port;
    }

    public int port() {
        return server.port();
    }

    /**
     * Stops serving: the requests under way are answered first (up to {@link #STOP_GRACE}); VMs
     * and the forwarder keep running, and the next start re-attaches them.
     */
    public void stop() {
        if (fleet != null) {
            fleet.stop();
        }
        if (guard != null) {
            guard.shutdownNow();
        }
        if (crashWatch != null) {
            crashWatch.shutdownNow();
        }
        if (agentWatch != null) {
            agentWatch.shutdownNow();
        }
        if (warmKeeper != null) {
            warmKeeper.shutdownNow();
        }
        if (server != null) {
            server.stop(STOP_GRACE);
        }
        if (router != null) {
            router.stop();
        }
        if (manager != null) {
            manager.detach();
        }
    }

    /** How long the requests under way at a stop get to be answered (a create may take seconds). */
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);
}
