package io.scalebox.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Turns raw KEY=value strings (the environment systemd built from /etc/scalebox/config,
 * or the file itself) into a {@link Config}. Every key is checked and every bad one is
 * reported, so an operator fixes the file in one pass.
 *
 * <p>An absent key takes its default. A key that is present but empty is an error, except
 * for the keys whose empty value means something (INITRD_PATH, BASE_DOMAIN, HOST_IP,
 * PROTECTED_TEMPLATES).
 */
public final class ConfigParser {
    public static final int MIN_TOKEN_LENGTH = 16;
    static final Pattern TEMPLATE_NAME = Pattern.compile("^[a-zA-Z0-9_-]{1,64}$");
    private static final Pattern DNS_LABEL = Pattern.compile("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
    // Linux IFNAMSIZ is 16 including the NUL; '/' ':' and whitespace are not allowed in names.
    private static final Pattern IFNAME = Pattern.compile("^[A-Za-z0-9_.-]{1,15}$");
    // The RFC 6750 b64token alphabet: anything else could not be sent in a Bearer header.
    private static final Pattern TOKEN = Pattern.compile("^[A-Za-z0-9\\-._~+/]+=*$");

    private final Map<String, String> raw;
    private final List<ConfigError> errors = new ArrayList<>();

    private ConfigParser(Map<String, String> raw) {
        this.raw = raw;
    }

    /** Parses and validates; throws with every bad key when any is wrong. */
    public static Config parse(Map<String, String> raw) throws InvalidConfigException {
        return new ConfigParser(raw).build();
    }

    /** Names in {@code keys} that are not configuration keys (for a warning, not an error). */
    public static List<String> unknownKeys(Iterable<String> keys) {
        List<String> unknown = new ArrayList<>();
        for (String k : keys) {
            if (ConfigKey.byName(k).isEmpty()) {
                unknown.add(k);
            }
        }
        return unknown;
    }

    private Config build() throws InvalidConfigException {
        int apiPort = integer(ConfigKey.API_PORT, 1, 65535);
        String apiBind = value(ConfigKey.API_BIND, "an IPv4 or IPv6 address literal, e.g. 0.0.0.0 or 127.0.0.1",
                ConfigParser::ipLiteral);
        String token = token();
        Optional<String> metricsToken = metricsToken(token);
        Path dataDir = value(ConfigKey.DATA_DIR, "an absolute path", ConfigParser::absolutePath);
        Path kernel = value(ConfigKey.KERNEL_PATH, "an absolute path to the guest kernel (ELF vmlinux)",
                ConfigParser::absolutePath);
        Optional<Path> initrd = optional(ConfigKey.INITRD_PATH, "empty or an absolute path", ConfigParser::absolutePath);
        Optional<String> baseDomain = optional(ConfigKey.BASE_DOMAIN,
                "empty or a DNS domain such as vms.example.com", ConfigParser::domain);
        Optional<String> hostIp = optional(ConfigKey.HOST_IP,
                "empty (address of the default route) or an IPv4 address", s -> Ipv4.parse(s) == null ? null : s);
        HypervisorChoice hypervisor = enumValue(ConfigKey.HYPERVISOR, HypervisorChoice.class);
        Path firecracker = value(ConfigKey.FIRECRACKER_BIN, "an absolute path", ConfigParser::absolutePath);
        Path qemu = value(ConfigKey.QEMU_BIN, "an absolute path", ConfigParser::absolutePath);
        QemuAccel accel = enumValue(ConfigKey.QEMU_ACCEL, QemuAccel.class);
        String bridge = value(ConfigKey.BRIDGE_NAME,
                "a network interface name of 1 to 15 letters, digits, '.', '_' or '-'",
                s -> IFNAME.matcher(s).matches() && !s.equals(".") && !s.equals("..") ? s : null);
        Cidr bridgeAddress = value(ConfigKey.BRIDGE_ADDRESS,
                "an IPv4 gateway address with a prefix length of 8 to 30 that is neither the network nor the "
                        + "broadcast address, e.g. 172.16.0.1/16",
                ConfigParser::gatewayCidr);
        int portMin = integer(ConfigKey.PORT_MIN, 1024, 65535);
        int portMax = integer(ConfigKey.PORT_MAX, 1024, 65535);
        if (portMin > 0 && portMax > 0 && portMin > portMax) {
            errors.add(new ConfigError("PORT_MAX", raw(ConfigKey.PORT_MAX),
                    "a port not below PORT_MIN (" + portMin + ")"));
        }
        int maxVcpu = integer(ConfigKey.MAX_VCPU_COUNT, 1, 256);
        int maxMem = integer(ConfigKey.MAX_MEM_SIZE_MIB, 128, 16 * 1024 * 1024);
        int maxDisk = integer(ConfigKey.MAX_DISK_SIZE_GIB, 1, 64 * 1024);
        int defVcpu = integer(ConfigKey.DEFAULT_VCPU_COUNT, 1, maxVcpu > 0 ? maxVcpu : 256);
        int defMem = integer(ConfigKey.DEFAULT_MEM_SIZE_MIB, 128, maxMem > 0 ? maxMem : 16 * 1024 * 1024);
        Set<String> protectedTemplates = templateList(ConfigKey.PROTECTED_TEMPLATES);
        Set<String> warmTemplates = templateList(ConfigKey.WARM_TEMPLATES);
        Boolean autostart = value(ConfigKey.AUTOSTART, "true or false", ConfigParser::bool);
        // Seconds a guest gets to power off before it is forced; an hour bounds a stuck stop.
        int stopTimeout = integer(ConfigKey.VM_STOP_TIMEOUT, 1, 3600);
        // 1.0: every VM's disk may grow to its full size; more lets sparse disks share the space.
        Double overcommit = value(ConfigKey.DISK_OVERCOMMIT, "a ratio from 1.0 to 100.0, e.g. 1.5", s -> {
            if (!s.matches("[0-9]{1,3}(\\.[0-9]{1,3})?")) {
                return null;
            }
            double d = Double.parseDouble(s);
            return d >= 1.0 && d <= 100.0 ? d : null;
        });
        int consoleMax = integer(ConfigKey.CONSOLE_LOG_MAX_KIB, 64, 1024 * 1024);
        List<Cidr> egressAllow = cidrList(ConfigKey.GUEST_EGRESS_ALLOW);
        List<Cidr> egressDeny = cidrList(ConfigKey.GUEST_EGRESS_DENY);
        List<String> guestDns = addressList(ConfigKey.GUEST_DNS, 2);
        Https https = https(apiPort, baseDomain);
        Fleet fleet = new FleetKeys(this).parse();
        LogLevel logLevel = enumValue(ConfigKey.LOG_LEVEL, LogLevel.class);

        if (!errors.isEmpty()) {
            throw new InvalidConfigException(errors);
        }
        return new Config(apiPort, apiBind, token, metricsToken, dataDir, kernel, initrd, baseDomain, hostIp, hypervisor,
                firecracker, qemu, accel, bridge, bridgeAddress, portMin, portMax, defVcpu, defMem, maxVcpu,
                maxMem, maxDisk, protectedTemplates, warmTemplates, autostart, Duration.ofSeconds(stopTimeout), overcommit == null ? 1.0 : overcommit, consoleMax, egressAllow, egressDeny, guestDns, https, fleet, logLevel);
    }

    /** The HTTPS keys (README "HTTPS"); checked against the API port and BASE_DOMAIN. */
    private Https https(int apiPort, Optional<String> baseDomain) {
        int vmHttpPort = integer(ConfigKey.VM_HTTP_PORT, 1, 65535);
        int routerPort = integer(ConfigKey.HTTPS_ROUTER_PORT, 1, 65535);
        if (routerPort > 0 && routerPort == apiPort) {
            errors.add(new ConfigError("HTTPS_ROUTER_PORT", raw(ConfigKey.HTTPS_ROUTER_PORT),
                    "a port other than API_PORT (" + apiPort + ")"));
        }
        Optional<String> apiDomain = optional(ConfigKey.API_DOMAIN, "empty or a DNS name such as api.example.com",
                ConfigParser::domain);
        // <label>.<BASE_DOMAIN> is a VM's name: the API there would shadow (or be shadowed by) a VM.
        if (apiDomain.isPresent() && baseDomain.isPresent()
                && apiDomain.get().endsWith("." + baseDomain.get())
                && !apiDomain.get().substring(0, apiDomain.get().length() - baseDomain.get().length() - 1).contains(".")) {
            errors.add(new ConfigError("API_DOMAIN", raw(ConfigKey.API_DOMAIN),
                    "a name that is not <label>." + baseDomain.get() + " (those are VM addresses)"));
        }
        String caddyAdmin = value(ConfigKey.CADDY_ADMIN,
                "host:port of Caddy's admin endpoint on this machine, e.g. localhost:2019", s -> {
                    int colon = s.lastIndexOf(':');
                    if (colon < 1 || !s.substring(colon + 1).matches("[0-9]{1,5}")) {
                        return null;
                    }
                    int port = Integer.parseInt(s.substring(colon + 1));
                    String host = s.substring(0, colon);
                    boolean local = host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]");
                    return local && port >= 1 && port <= 65535 ? s : null;
                });
        Optional<String> email = optional(ConfigKey.ACME_EMAIL, "empty or an e-mail address such as ops@example.com",
                s -> s.matches("[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}") && domain(s.substring(s.indexOf('@') + 1)) != null
                        ? s : null);
        Optional<String> ca = optional(ConfigKey.ACME_CA,
                "empty (Caddy's default CAs) or an ACME directory URL such as "
                        + "https://acme-staging-v02.api.letsencrypt.org/directory",
                s -> {
                    try {
                        java.net.URI u = new java.net.URI(s);
                        return "https".equals(u.getScheme()) && u.getHost() != null ? s : null;
                    } catch (java.net.URISyntaxException e) {
                        return null;
                    }
                });
        Optional<Path> caRoot = optional(ConfigKey.ACME_CA_ROOT,
                "empty or an absolute path to the PEM root certificate of the ACME server", ConfigParser::absolutePath);
        return new Https(vmHttpPort, routerPort, apiDomain, caddyAdmin == null ? "" : caddyAdmin, email, ca, caRoot);
    }

    void error(ConfigKey key, String value, String expected) {
        errors.add(new ConfigError(key.name(), value, expected));
    }

    /** The raw value for the key, or its default when absent; null when absent without default. */
    String raw(ConfigKey key) {
        String v = raw.get(key.name());
        return v != null ? v : key.defaultValue().orElse(null);
    }

    /** A required value checked by {@code check}, which returns null for a bad value. */
    <T> T value(ConfigKey key, String expected, Function<String, T> check) {
        String v = raw(key);
        T parsed = v == null || v.isEmpty() ? null : check.apply(v);
        if (parsed == null) {
            errors.add(new ConfigError(key.name(), v, expected));
        }
        return parsed;
    }

    <T> Optional<T> optional(ConfigKey key, String expected, Function<String, T> check) {
        String v = raw(key);
        if (v == null || v.isEmpty()) {
            return Optional.empty();
        }
        T parsed = check.apply(v);
        if (parsed == null) {
            errors.add(new ConfigError(key.name(), v, expected));
        }
        return Optional.ofNullable(parsed);
    }

    int integer(ConfigKey key, int min, int max) {
        Integer v = value(key, "a whole number from " + min + " to " + max, s -> {
            if (!s.matches("[0-9]{1,9}")) {
                return null;
            }
            int n = Integer.parseInt(s);
            return n >= min && n <= max ? n : null;
        });
        return v == null ? -1 : v;
    }

    private <E extends Enum<E>> E enumValue(ConfigKey key, Class<E> type) {
        String choices = String.join(", ", Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
        return value(key, "one of " + choices, s -> {
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(s)) {
                    return e;
                }
            }
            return null;
        });
    }

    private String token() {
        String v = raw.get(ConfigKey.API_TOKEN.name());
        if (v == null || v.isEmpty()) {
            errors.add(new ConfigError(ConfigKey.API_TOKEN.name(), null,
                    "a bearer token of at least " + MIN_TOKEN_LENGTH + " characters (the package generates one)"));
            return null;
        }
        return wellFormedToken(ConfigKey.API_TOKEN, v, "") ? v : null;
    }

    /** A bearer token's form; a bad one is reported without being echoed (it may be a real secret with a typo). */
    private boolean wellFormedToken(ConfigKey key, String v, String alternative) {
        if (v.length() < MIN_TOKEN_LENGTH || !TOKEN.matcher(v).matches()) {
            errors.add(new ConfigError(key.name(), "(" + v.length() + " characters, not shown)",
                    alternative + "at least " + MIN_TOKEN_LENGTH + " characters from A-Z a-z 0-9 - . _ ~ + /"));
            return false;
        }
        return true;
    }

    /** Optional; a token like API_TOKEN but not the same one (it would give the monitoring system the API). */
    private Optional<String> metricsToken(String apiToken) {
        String v = raw(ConfigKey.METRICS_TOKEN);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        if (!wellFormedToken(ConfigKey.METRICS_TOKEN, v, "empty or ")) {
            return Optional.empty();
        }
        if (v.equals(apiToken)) {
            errors.add(new ConfigError(ConfigKey.METRICS_TOKEN.name(), "(not shown)",
                    "a token other than API_TOKEN: whoever holds it may only read /metrics"));
            return Optional.empty();
        }
        return Optional.of(v);
    }

    private Set<String> templateList(ConfigKey key) {
        String v = raw(key);
        Set<String> names = new LinkedHashSet<>();
        if (v == null || v.isBlank()) {
            return names;
        }
        for (String part : v.split(",", -1)) {
            String name = part.trim();
            if (!TEMPLATE_NAME.matcher(name).matches()) {
                errors.add(new ConfigError(key.name(), v,
                        "comma-separated template names of 1 to 64 letters, digits, '_' or '-'"));
                return names;
            }
            names.add(name);
        }
        return names;
    }

    /** Comma-separated IPv4 networks (a.b.c.d/p, or an address for /32); empty: none. */
    private List<Cidr> cidrList(ConfigKey key) {
        String v = raw(key);
        List<Cidr> out = new ArrayList<>();
        if (v == null || v.isBlank()) {
            return out;
        }
        for (String part : v.split(",", -1)) {
            String s = part.trim();
            Cidr c = s.contains("/") ? Cidr.parse(s) : Ipv4.parse(s) == null ? null : new Cidr(Ipv4.parse(s), 32);
            if (c == null) {
                errors.add(new ConfigError(key.name(), v,
                        "comma-separated IPv4 networks such as 10.20.0.0/16 or addresses such as 192.0.2.7"));
                return List.of();
            }
            out.add(c);
        }
        return out;
    }

    /** Comma-separated IPv4 addresses, at most {@code max}; empty: none. */
    private List<String> addressList(ConfigKey key, int max) {
        String v = raw(key);
        List<String> out = new ArrayList<>();
        if (v == null || v.isBlank()) {
            return out;
        }
        for (String part : v.split(",", -1)) {
            String s = part.trim();
            if (Ipv4.parse(s) == null || out.size() == max) {
                errors.add(new ConfigError(key.name(), v, "empty or 1 to " + max + " comma-separated IPv4 addresses"));
                return List.of();
            }
            out.add(s);
        }
        return out;
    }

    static Path absolutePath(String s) {
        if (!s.startsWith("/") || s.indexOf('\0') >= 0) {
            return null;
        }
        Path p = Path.of(s);
        // "/a/../b" is absolute but not what it seems; demand the normal form.
        return p.normalize().equals(p) ? p : null;
    }

    private static String ipLiteral(String s) {
        if (Ipv4.parse(s) != null) {
            return s;
        }
        // IPv6 literals only; InetAddress does no lookup for text that contains ':'.
        if (s.contains(":") && s.matches("[0-9A-Fa-f:.]+")) {
            try {
                java.net.InetAddress.getByName(s);
                return s;
            } catch (java.net.UnknownHostException e) {
                return null;
            }
        }
        return null;
    }

    static String domain(String s) {
        String d = s.toLowerCase(Locale.ROOT);
        if (d.length() > 253 || d.endsWith(".")) {
            return null;
        }
        String[] labels = d.split("\\.", -1);
        if (labels.length < 1) {
            return null;
        }
        for (String label : labels) {
            if (!DNS_LABEL.matcher(label).matches()) {
                return null;
            }
        }
        return d;
    }

    private static Cidr gatewayCidr(String s) {
        Cidr c = Cidr.parse(s);
        if (c == null || c.prefix() < 8 || c.prefix() > 30) {
            return null;
        }
        return c.address() == c.network() || c.address() == c.broadcast() ? null : c;
    }

    private static Boolean bool(String s) {
        if (s.equalsIgnoreCase("true")) {
            return Boolean.TRUE;
        }
        return s.equalsIgnoreCase("false") ? Boolean.FALSE : null;
    }
}
