package io.scalebox.hypervisor;

import io.scalebox.config.Config;
import io.scalebox.config.HypervisorChoice;
import java.nio.file.Files;

/** The backend in use: HYPERVISOR, with {@code auto} resolved by looking for Firecracker. */
public enum HypervisorKind {
    FIRECRACKER, QEMU;

    public static HypervisorKind resolve(Config config) {
        if (config.hypervisor() == HypervisorChoice.AUTO) {
            return Files.isExecutable(config.firecrackerBin()) ? FIRECRACKER : QEMU;
        }
        return config.hypervisor() == HypervisorChoice.FIRECRACKER ? FIRECRACKER : QEMU;
    }

    /** What /info calls the accelerator: Firecracker always runs on KVM. */
    public String accel(Config config) {
        return this == FIRECRACKER ? "kvm" : config.qemuAccel().key();
    }

    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
