package io.scalebox.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The validated daemon configuration. Built only by {@link ConfigParser}, so every
 * instance holds values that passed validation. {@link #toString()} masks the token.
 */
public record Config(
        int apiPort,
        String apiBind,
        String apiToken,
        Optional<String> metricsToken,
        Path dataDir,
        Path kernelPath,
        Optional<Path> initrdPath,
        Optional<String> baseDomain,
        Optional<String> hostIp,
        HypervisorChoice hypervisor,
        Path firecrackerBin,
        Path qemuBin,
        QemuAccel qemuAccel,
        String bridgeName,
        Cidr bridgeAddress,
        int portMin,
        int portMax,
        int defaultVcpuCount,
        int defaultMemSizeMib,
        int maxVcpuCount,
        int maxMemSizeMib,
        int maxDiskSizeGib,
        Set<String> protectedTemplates,
        Set<String> warmTemplates,
        boolean autostart,
        Duration vmStopTimeout,
        double diskOvercommit,
        int consoleLogMaxKib,
        List<Cidr> guestEgressAllow,
        List<Cidr> guestEgressDeny,
        List<String> guestDns,
        Https https,
        Fleet fleet,
        LogLevel logLevel) {

    /** debian-base is protected whatever PROTECTED_TEMPLATES says (api.md). */
    public static final String BASE_TEMPLATE = "debian-base";

    public Config {
        protectedTemplates = Set.copyOf(protectedTemplates);
        warmTemplates = java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(warmTemplates));
        guestEgressAllow = List.copyOf(guestEgressAllow);
        guestEgressDeny = List.copyOf(guestEgressDeny);
        guestDns = List.copyOf(guestDns);
    }

    public boolean isProtected(String template) {
        return BASE_TEMPLATE.equals(template) || protectedTemplates.contains(template);
    }

    public Path templatesDir() {
        return dataDir.resolve("templates");
    }

    public Path vmsDir() {
        return dataDir.resolve("vms");
    }

    /** The effective configuration as KEY=value lines, token masked (for --check-config and logs). */
    public Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("API_PORT", String.valueOf(apiPort));
        m.put("API_BIND", apiBind);
        m.put("API_TOKEN", mask(apiToken));
        m.put("METRICS_TOKEN", metricsToken.map(Config::mask).orElse(""));
        m.put("DATA_DIR", dataDir.toString());
        m.put("KERNEL_PATH", kernelPath.toString());
        m.put("INITRD_PATH", initrdPath.map(Path::toString).orElse(""));
        m.put("BASE_DOMAIN", baseDomain.orElse(""));
        m.put("HOST_IP", hostIp.orElse(""));
        m.put("HYPERVISOR", hypervisor.key());
        m.put("FIRECRACKER_BIN", firecrackerBin.toString());
        m.put("QEMU_BIN", qemuBin.toString());
        m.put("QEMU_ACCEL", qemuAccel.key());
        m.put("BRIDGE_NAME", bridgeName);
        m.put("BRIDGE_ADDRESS", bridgeAddress.toString());
        m.put("PORT_MIN", String.valueOf(portMin));
        m.put("PORT_MAX", String.valueOf(portMax));
        m.put("DEFAULT_VCPU_COUNT", String.valueOf(defaultVcpuCount));
        m.put("DEFAULT_MEM_SIZE_MIB", String.valueOf(defaultMemSizeMib));
        m.put("MAX_VCPU_COUNT", String.valueOf(maxVcpuCount));
        m.put("MAX_MEM_SIZE_MIB", String.valueOf(maxMemSizeMib));
        m.put("MAX_DISK_SIZE_GIB", String.valueOf(maxDiskSizeGib));
        m.put("PROTECTED_TEMPLATES", String.join(",", new java.util.TreeSet<>(protectedTemplates)));
        m.put("WARM_TEMPLATES", String.join(",", warmTemplates));
        m.put("AUTOSTART", String.valueOf(autostart));
        m.put("VM_STOP_TIMEOUT", String.valueOf(vmStopTimeout.toSeconds()));
        m.put("DISK_OVERCOMMIT", String.valueOf(diskOvercommit));
        m.put("CONSOLE_LOG_MAX_KIB", String.valueOf(consoleLogMaxKib));
        m.put("GUEST_EGRESS_ALLOW", String.join(",", guestEgressAllow.stream().map(Cidr::networkText).toList()));
        m.put("GUEST_EGRESS_DENY", String.join(",", guestEgressDeny.stream().map(Cidr::networkText).toList()));
        m.put("GUEST_DNS", String.join(",", guestDns));
        m.put("VM_HTTP_PORT", String.valueOf(https.vmHttpPort()));
        m.put("HTTPS_ROUTER_PORT", String.valueOf(https.routerPort()));
        m.put("API_DOMAIN", https.apiDomain().orElse(""));
        m.put("CADDY_ADMIN", https.caddyAdmin());
        m.put("ACME_EMAIL", https.acmeEmail().orElse(""));
        m.put("ACME_CA", https.acmeCa().orElse(""));
        m.put("ACME_CA_ROOT", https.acmeCaRoot().map(Path::toString).orElse(""));
        m.putAll(fleet.describe());
        m.put("LOG_LEVEL", logLevel.key());
        return m;
    }

    /** Shows only the prefix, enough to tell tokens apart without revealing one. */
    static String mask(String token) {
        return token.substring(0, Math.min(3, token.length())) + "****";
    }

    @Override
    public String toString() {
        return "Config" + describe();
    }
}
