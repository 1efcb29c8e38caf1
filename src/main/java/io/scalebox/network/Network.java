package io.scalebox.network;

import io.scalebox.config.Cidr;
import io.scalebox.host.Command;
import io.scalebox.host.CommandException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** The bridge and the VMs' TAP devices, managed with iproute2. */
public final class Network implements TapDevices {
    private static final Logger LOG = LogManager.getLogger(Network.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** TAP names: this prefix + 10 hex characters of the VM id (15 characters, the kernel's limit). */
    public static final String TAP_PREFIX = "sbx";

    private final String bridge;
    private final Cidr address;
    private final Path runDir;
    private final String tapOwner;

    /** @param tapOwner the account the hypervisors run as (owner of every TAP) */
    public Network(String bridge, Cidr address, Path runDir, String tapOwner) {
        this.bridge = bridge;
        this.address = address;
        this.runDir = runDir;
        this.tapOwner = tapOwner;
    }

    public static String tapName(String vmId) {
        return TAP_PREFIX + vmId.substring(3, 13);
    }

    /** Creates the bridge with its address when networkd (or the admin) has not; enables forwarding. */
    public void ensureBridge() throws CommandException, IOException {
        // One ip for the usual start (the bridge is there, up, with its address): link and addresses.
        String state;
        try {
            state = Command.run(List.of("ip", "-o", "-batch", "-"),
                    "link show dev " + bridge + "\naddr show dev " + bridge + "\n", TIMEOUT);
        } catch (CommandException e) {
            ip("link", "add", bridge, "type", "bridge");
            Files.createDirectories(runDir);
            Files.writeString(runDir.resolve("bridge-created"), bridge + "\n");
            LOG.info("created bridge {} ({})", bridge, address);
            state = "";
        }
        if (!state.contains(" " + address + " ")) {
            ip("addr", "replace", address.toString(), "dev", bridge);
        }
        if (!isUp(state)) {
            ip("link", "set", bridge, "up");
        }
        try {
            Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), "1\n");
        } catch (IOException e) {
            LOG.warn("cannot enable net.ipv4.ip_forward: {}; VMs get no outbound traffic", e.getMessage());
        }
    }

    @Override
    public void createTap(String tap) throws CommandException {
        if (exists(tap)) {
            ip("link", "delete", tap); // never reuse a TAP another hypervisor had
        }
        // Owned by the account: the unprivileged hypervisor attaches to it without CAP_NET_ADMIN.
        ip("tuntap", "add", "dev", tap, "mode", "tap", "user", tapOwner, "group", tapOwner);
        try {
            ip("link", "set", tap, "master", bridge);
            // An isolated bridge port forwards only to non-isolated ones (the host): no frame goes
            // from one guest to another, whatever the firewall tables say.
            ip("link", "set", "dev", tap, "type", "bridge_slave", "isolated", "on");
            ip("link", "set", tap, "up");
        } catch (CommandException e) {
            deleteTap(tap);
            throw e;
        }
    }

    @Override
    public boolean deleteTap(String tap) {
        try {
            if (!exists(tap)) {
                return false;
            }
            ip("link", "delete", tap);
            return true;
        } catch (CommandException e) {
            LOG.warn("cannot delete {}: {}", tap, e.getMessage());
            return false;
        }
    }

    @Override
    public List<String> taps() throws CommandException {
        List<String> out = new ArrayList<>();
        for (String line : ip("-o", "link", "show").split("\n")) {
            String[] f = line.split(":\\s+");
            if (f.length > 1) {
                String name = f[1].split("@")[0];
                if (name.startsWith(TAP_PREFIX)) {
                    out.add(name);
                }
            }
        }
        return out;
    }

    /** Whether the first line of an {@code ip -o link show} has the UP flag: {@code 3: br0: <BROADCAST,UP> ...}. */
    static boolean isUp(String linkShow) {
        int open = linkShow.indexOf('<');
        int close = linkShow.indexOf('>');
        return open >= 0 && close > open
                && List.of(linkShow.substring(open + 1, close).split(",")).contains("UP");
    }

    public boolean exists(String link) {
        try {
            ip("link", "show", "dev", link);
            return true;
        } catch (CommandException e) {
            return false;
        }
    }

    private static String ip(String... args) throws CommandException {
        List<String> argv = new ArrayList<>(List.of("ip"));
        argv.addAll(List.of(args));
        return Command.run(argv, TIMEOUT);
    }
}
