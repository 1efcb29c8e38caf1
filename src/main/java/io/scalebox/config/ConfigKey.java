package io.scalebox.config;

import java.util.Arrays;
import java.util.Optional;

/**
 * Every key of /etc/scalebox/config with its default. The package's config template
 * (config-templates/config) carries the same defaults; a unit test keeps the two equal.
 */
public enum ConfigKey {
    API_PORT("8080"),
    API_BIND("0.0.0.0"),
    API_TOKEN(null),
    METRICS_TOKEN(""),
    DATA_DIR("/var/lib/scalebox"),
    KERNEL_PATH("/var/lib/scalebox/kernel/vmlinux"),
    INITRD_PATH(""),
    BASE_DOMAIN(""),
    HOST_IP(""),
    HYPERVISOR("auto"),
    FIRECRACKER_BIN("/usr/bin/firecracker"),
    QEMU_BIN("/usr/bin/qemu-system-x86_64"),
    QEMU_ACCEL("kvm"),
    BRIDGE_NAME("br0"),
    BRIDGE_ADDRESS("172.16.0.1/16"),
    PORT_MIN("22001"),
    PORT_MAX("32000"),
    DEFAULT_VCPU_COUNT("2"),
    DEFAULT_MEM_SIZE_MIB("2048"),
    MAX_VCPU_COUNT("32"),
    MAX_MEM_SIZE_MIB("65536"),
    MAX_DISK_SIZE_GIB("100"),
    PROTECTED_TEMPLATES("debian-base"),
    WARM_TEMPLATES(""),
    AUTOSTART("true"),
    VM_STOP_TIMEOUT("30"),
    DISK_OVERCOMMIT("1.0"),
    CONSOLE_LOG_MAX_KIB("1024"),
    GUEST_EGRESS_ALLOW(""),
    GUEST_EGRESS_DENY(""),
    GUEST_DNS(""),
    VM_HTTP_PORT("8080"),
    HTTPS_ROUTER_PORT("8089"),
    API_DOMAIN(""),
    CADDY_ADMIN("localhost:2019"),
    ACME_EMAIL(""),
    ACME_CA(""),
    ACME_CA_ROOT(""),
    FLEET_ETCD(""),
    FLEET_ETCD_CA(""),
    FLEET_ETCD_CERT(""),
    FLEET_ETCD_KEY(""),
    FLEET_URL(""),
    FLEET_HOST_NAME(""),
    FLEET_PREFIX("/scalebox/v1"),
    FLEET_CREATE_TIMEOUT("600"),
    LOG_LEVEL("info");

    private final String defaultValue;

    ConfigKey(String defaultValue) {
        this.defaultValue = defaultValue;
    }

    /** The default, or empty for API_TOKEN, which has none (postinst generates it). */
    public Optional<String> defaultValue() {
        return Optional.ofNullable(defaultValue);
    }

    public static Optional<ConfigKey> byName(String name) {
        return Arrays.stream(values()).filter(k -> k.name().equals(name)).findFirst();
    }
}
