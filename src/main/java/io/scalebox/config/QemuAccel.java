package io.scalebox.config;

/** The QEMU_ACCEL key: hardware virtualisation or software emulation. */
public enum QemuAccel {
    KVM, TCG;

    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
