package io.scalebox.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigParserTest {
    static final String TOKEN = "sb-0123456789abcdef0123456789abcdef0123456789abcdef";

    static Map<String, String> with(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("API_TOKEN", TOKEN);
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    static List<ConfigError> errors(Map<String, String> values) {
        return assertThrows(InvalidConfigException.class, () -> ConfigParser.parse(values)).errors();
    }

    @Test
    void defaultsApplyWhenOnlyTheTokenIsSet() throws Exception {
        Config c = ConfigParser.parse(with());
        assertEquals(8080, c.apiPort());
        assertEquals("0.0.0.0", c.apiBind());
        assertEquals(TOKEN, c.apiToken());
        assertEquals(Path.of("/var/lib/scalebox"), c.dataDir());
        assertEquals(Path.of("/var/lib/scalebox/kernel/vmlinux"), c.kernelPath());
        assertEquals(Optional.empty(), c.initrdPath());
        assertEquals(Optional.empty(), c.baseDomain());
        assertEquals(Optional.empty(), c.hostIp());
        assertEquals(HypervisorChoice.AUTO, c.hypervisor());
        assertEquals(Path.of("/usr/bin/firecracker"), c.firecrackerBin());
        assertEquals(Path.of("/usr/bin/qemu-system-x86_64"), c.qemuBin());
        assertEquals(QemuAccel.KVM, c.qemuAccel());
        assertEquals("br0", c.bridgeName());
        assertEquals("172.16.0.1/16", c.bridgeAddress().toString());
        assertEquals(22001, c.portMin());
        assertEquals(32000, c.portMax());
        assertEquals(2, c.defaultVcpuCount());
        assertEquals(2048, c.defaultMemSizeMib());
        assertEquals(32, c.maxVcpuCount());
        assertEquals(65536, c.maxMemSizeMib());
        assertEquals(100, c.maxDiskSizeGib());
        assertEquals(Set.of("debian-base"), c.protectedTemplates());
        assertTrue(c.autostart());
        assertEquals(Duration.ofSeconds(30), c.vmStopTimeout());
        assertEquals(List.of(), c.guestEgressAllow());
        assertEquals(List.of(), c.guestDns());
        assertEquals(LogLevel.INFO, c.logLevel());
    }

    @Test
    void everyKeyIsRead() throws Exception {
        Config c = ConfigParser.parse(with("API_PORT", "9090", "API_BIND", "127.0.0.1", "DATA_DIR", "/srv/sb",
                "KERNEL_PATH", "/srv/k/vmlinux", "INITRD_PATH", "/srv/k/initrd", "BASE_DOMAIN", "VMS.Example.com",
                "HOST_IP", "203.0.113.7", "HYPERVISOR", "qemu", "FIRECRACKER_BIN", "/opt/fc",
                "QEMU_BIN", "/opt/qemu", "QEMU_ACCEL", "tcg", "BRIDGE_NAME", "sbbr0",
                "BRIDGE_ADDRESS", "10.77.0.1/24", "PORT_MIN", "40000", "PORT_MAX", "40010",
                "DEFAULT_VCPU_COUNT", "1", "DEFAULT_MEM_SIZE_MIB", "256", "MAX_VCPU_COUNT", "4",
                "MAX_MEM_SIZE_MIB", "4096", "MAX_DISK_SIZE_GIB", "20", "PROTECTED_TEMPLATES", "a, b_2,c-3",
                "WARM_TEMPLATES", "debian-base, b_2", "AUTOSTART", "FALSE", "VM_STOP_TIMEOUT", "5", "LOG_LEVEL", "debug",
                "GUEST_EGRESS_ALLOW", "10.20.0.5/16, 192.0.2.7", "GUEST_EGRESS_DENY", "8.8.8.0/24", "GUEST_DNS", "1.1.1.1"));
        assertEquals(9090, c.apiPort());
        assertEquals(List.of("debian-base", "b_2"), List.copyOf(c.warmTemplates()), "in the order given");
        assertEquals("127.0.0.1", c.apiBind());
        assertEquals(Path.of("/srv/sb/templates"), c.templatesDir());
        assertEquals(Path.of("/srv/k/vmlinux"), c.kernelPath());
        assertEquals(Optional.of(Path.of("/srv/k/initrd")), c.initrdPath());
        assertEquals(Optional.of("vms.example.com"), c.baseDomain());
        assertEquals(Optional.of("203.0.113.7"), c.hostIp());
        assertEquals(HypervisorChoice.QEMU, c.hypervisor());
        assertEquals(Path.of("/opt/fc"), c.firecrackerBin());
        assertEquals(Path.of("/opt/qemu"), c.qemuBin());
        assertEquals(QemuAccel.TCG, c.qemuAccel());
        assertEquals("sbbr0", c.bridgeName());
        assertEquals("255.255.255.0", c.bridgeAddress().netmaskText());
        assertEquals(40000, c.portMin());
        assertEquals(40010, c.portMax());
        assertEquals(1, c.defaultVcpuCount());
        assertEquals(256, c.defaultMemSizeMib());
        assertEquals(4, c.maxVcpuCount());
        assertEquals(4096, c.maxMemSizeMib());
        assertEquals(20, c.maxDiskSizeGib());
        assertEquals(Set.of("a", "b_2", "c-3"), c.protectedTemplates());
        assertTrue(c.isProtected("debian-base"), "debian-base is always protected");
        assertTrue(c.isProtected("b_2"));
        assertFalse(c.autostart());
        assertEquals(Duration.ofSeconds(5), c.vmStopTimeout());
        assertEquals(List.of("10.20.0.0/16", "192.0.2.7/32"), c.guestEgressAllow().stream().map(Cidr::networkText).toList());
        assertEquals(List.of("8.8.8.0/24"), c.guestEgressDeny().stream().map(Cidr::networkText).toList());
        assertEquals(List.of("1.1.1.1"), c.guestDns());
        assertEquals(LogLevel.DEBUG, c.logLevel());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "API_PORT|abc", "API_PORT|0", "API_PORT|65536", "API_PORT|-1", "API_PORT|80.5", "API_PORT|''",
        "API_PORT|99999999999",
        "API_BIND|localhost", "API_BIND|256.0.0.1", "API_BIND|1.2.3", "API_BIND|01.2.3.4", "API_BIND|''",
        "API_BIND|::zz",
        "DATA_DIR|relative/path", "DATA_DIR|/var/../etc", "DATA_DIR|''",
        "KERNEL_PATH|vmlinux", "KERNEL_PATH|''",
        "INITRD_PATH|initrd.img",
        "BASE_DOMAIN|-bad.example.com", "BASE_DOMAIN|exa mple.com", "BASE_DOMAIN|example.com.",
        "BASE_DOMAIN|a..b", "BASE_DOMAIN|under_score.com",
        "HOST_IP|host.example.com", "HOST_IP|1.2.3.256",
        "HYPERVISOR|xen", "HYPERVISOR|''",
        "FIRECRACKER_BIN|firecracker", "QEMU_BIN|bin/qemu",
        "QEMU_ACCEL|hvf", "QEMU_ACCEL|''",
        "BRIDGE_NAME|this-name-is-too-long", "BRIDGE_NAME|br 0", "BRIDGE_NAME|br/0", "BRIDGE_NAME|..",
        "BRIDGE_NAME|''",
        "BRIDGE_ADDRESS|172.16.0.1", "BRIDGE_ADDRESS|172.16.0.0/16", "BRIDGE_ADDRESS|172.16.255.255/16",
        "BRIDGE_ADDRESS|172.16.0.1/31", "BRIDGE_ADDRESS|172.16.0.1/7", "BRIDGE_ADDRESS|172.16.0.1/abc",
        "BRIDGE_ADDRESS|300.16.0.1/16", "BRIDGE_ADDRESS|''",
        "PORT_MIN|80", "PORT_MIN|70000", "PORT_MAX|x",
        "DEFAULT_VCPU_COUNT|0", "DEFAULT_VCPU_COUNT|33", "DEFAULT_MEM_SIZE_MIB|64", "DEFAULT_MEM_SIZE_MIB|65537",
        "MAX_VCPU_COUNT|0", "MAX_VCPU_COUNT|257", "MAX_MEM_SIZE_MIB|127", "MAX_DISK_SIZE_GIB|0",
        "MAX_DISK_SIZE_GIB|65537",
        "PROTECTED_TEMPLATES|ok,../etc", "PROTECTED_TEMPLATES|a,,b", "PROTECTED_TEMPLATES|'a b'",
        "WARM_TEMPLATES|debian-base,../x", "WARM_TEMPLATES|a,",
        "AUTOSTART|yes", "AUTOSTART|''",
        "GUEST_EGRESS_ALLOW|10.0.0.0/33", "GUEST_EGRESS_ALLOW|example.com", "GUEST_EGRESS_DENY|1.2.3.4/8,,",
        "GUEST_DNS|1.1.1.1,8.8.8.8,9.9.9.9", "GUEST_DNS|dns.example", "VM_STOP_TIMEOUT|0", "VM_STOP_TIMEOUT|3601", "VM_STOP_TIMEOUT|30s", "VM_STOP_TIMEOUT|''",
        "LOG_LEVEL|verbose", "LOG_LEVEL|''",
        "VM_HTTP_PORT|0", "VM_HTTP_PORT|http", "HTTPS_ROUTER_PORT|65536", "HTTPS_ROUTER_PORT|8080",
        "API_DOMAIN|api..example.com", "API_DOMAIN|https://api.example.com",
        "CADDY_ADMIN|2019", "CADDY_ADMIN|0.0.0.0:2019", "CADDY_ADMIN|caddy.example.com:2019", "CADDY_ADMIN|localhost:99999",
        "ACME_EMAIL|ops", "ACME_EMAIL|ops@", "ACME_EMAIL|'ops @example.com'",
        "ACME_CA|http://acme.example.com/directory", "ACME_CA|acme.example.com", "ACME_CA_ROOT|root.pem",
    })
    void badValueIsReportedWithKeyValueAndExpectation(String key, String value) {
        List<ConfigError> errors = errors(with(key, value));
        assertEquals(1, errors.size(), () -> "errors: " + errors);
        ConfigError e = errors.get(0);
        assertEquals(key, e.key());
        assertEquals(value, e.value());
        assertTrue(e.message().startsWith(key + "=\"" + value + "\" is invalid: expected "), e.message());
    }

    @Test
    void httpsKeysAreRead() throws Exception {
        Config c = ConfigParser.parse(with("BASE_DOMAIN", "vms.example.com", "VM_HTTP_PORT", "3000",
                "HTTPS_ROUTER_PORT", "9001", "API_DOMAIN", "API.example.com", "CADDY_ADMIN", "127.0.0.1:2020",
                "ACME_EMAIL", "ops@example.com", "ACME_CA", "https://ca.internal/acme/directory",
                "ACME_CA_ROOT", "/etc/ssl/ca.pem"));
        assertEquals(new Https(3000, 9001, Optional.of("api.example.com"), "127.0.0.1:2020",
                Optional.of("ops@example.com"), Optional.of("https://ca.internal/acme/directory"),
                Optional.of(Path.of("/etc/ssl/ca.pem"))), c.https());
        Https d = ConfigParser.parse(with()).https();
        assertEquals(new Https(8080, 8089, Optional.empty(), "localhost:2019", Optional.empty(), Optional.empty(),
                Optional.empty()), d);
    }

    @Test
    void theApiDomainCannotBeAVmsAddress() {
        List<ConfigError> errors = errors(with("BASE_DOMAIN", "vms.example.com", "API_DOMAIN", "api.vms.example.com"));
        assertEquals(List.of("API_DOMAIN"), errors.stream().map(ConfigError::key).toList());
        assertTrue(errors.get(0).message().contains("not <label>.vms.example.com"), errors.get(0).message());
    }

    @Test
    void portRangeMustNotBeInverted() {
        List<ConfigError> errors = errors(with("PORT_MIN", "30000", "PORT_MAX", "29999"));
        assertEquals(List.of("PORT_MAX"), errors.stream().map(ConfigError::key).toList());
        assertTrue(errors.get(0).expected().contains("PORT_MIN (30000)"));
    }

    @Test
    void defaultsMustNotExceedTheirMaximum() {
        List<ConfigError> errors = errors(with("MAX_VCPU_COUNT", "4", "DEFAULT_VCPU_COUNT", "8",
                "MAX_MEM_SIZE_MIB", "1024", "DEFAULT_MEM_SIZE_MIB", "2048"));
        assertEquals(List.of("DEFAULT_VCPU_COUNT", "DEFAULT_MEM_SIZE_MIB"),
                errors.stream().map(ConfigError::key).toList());
    }

    @Test
    void missingTokenIsFatal() {
        Map<String, String> values = with();
        values.remove("API_TOKEN");
        List<ConfigError> errors = errors(values);
        assertEquals("API_TOKEN", errors.get(0).key());
        assertEquals("API_TOKEN is missing: expected a bearer token of at least 16 characters "
                + "(the package generates one)", errors.get(0).message());
        values.put("API_TOKEN", "");
        assertEquals("API_TOKEN", errors(values).get(0).key());
    }

    @Test
    void badTokenIsNeverEchoed() {
        for (String bad : List.of("short-secret", "has space in the token value", "semi;colon;0123456789")) {
            ConfigError e = errors(with("API_TOKEN", bad)).get(0);
            assertEquals("API_TOKEN", e.key());
            assertFalse(e.message().contains(bad), e.message());
        }
    }

    @Test
    void metricsTokenIsOptionalCheckedAndNeverTheApiToken() throws Exception {
        assertEquals(java.util.Optional.empty(), ConfigParser.parse(with()).metricsToken());
        Config c = ConfigParser.parse(with("METRICS_TOKEN", "prometheus-reads-0123456789"));
        assertEquals(java.util.Optional.of("prometheus-reads-0123456789"), c.metricsToken());
        assertEquals("pro****", c.describe().get("METRICS_TOKEN"));
        for (String bad : List.of("short-secret", "has space in the token value", TOKEN)) {
            List<ConfigError> errors = errors(with("METRICS_TOKEN", bad));
            assertEquals(1, errors.size());
            assertEquals("METRICS_TOKEN", errors.get(0).key());
            assertFalse(errors.get(0).toString().contains(bad), errors.get(0).toString());
        }
    }

    @Test
    void everyBadKeyIsReportedAtOnce() {
        List<ConfigError> errors = errors(with("API_PORT", "x", "HYPERVISOR", "y", "LOG_LEVEL", "z"));
        assertEquals(List.of("API_PORT", "HYPERVISOR", "LOG_LEVEL"), errors.stream().map(ConfigError::key).toList());
    }

    @Test
    void controlCharactersInValuesAreEscapedInMessages() {
        ConfigError e = errors(with("BRIDGE_NAME", "br\u001b[31m")).get(0);
        assertTrue(e.message().contains("br\\x1b[31m"), e.message());
    }

    @Test
    void ipv6BindAddressIsAccepted() throws Exception {
        assertEquals("::", ConfigParser.parse(with("API_BIND", "::")).apiBind());
        assertEquals("::1", ConfigParser.parse(with("API_BIND", "::1")).apiBind());
    }

    @Test
    void describeMasksTheToken() throws Exception {
        Config c = ConfigParser.parse(with());
        assertEquals("sb-****", c.describe().get("API_TOKEN"));
        assertFalse(c.toString().contains(TOKEN));
        assertEquals(ConfigKey.values().length, c.describe().size(), "describe lists every key");
    }

    @Test
    void unknownKeysAreNamed() {
        assertEquals(List.of("API_PROT", "FOO"), ConfigParser.unknownKeys(List.of("API_PORT", "API_PROT", "FOO")));
    }
}
