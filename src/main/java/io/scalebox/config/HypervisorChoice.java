package io.scalebox.config;

/** The HYPERVISOR key: a fixed backend or {@code auto} (Firecracker when its binary exists). */
public enum HypervisorChoice {
    FIRECRACKER, QEMU, AUTO;

    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
