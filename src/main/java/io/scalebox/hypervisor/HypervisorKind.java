package io.scalebox.hypervisor;

import io.scalebox.config.Config;
import io.scalebox.config.HypervisorChoice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

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

    /**
     * Asks the guest of the VM whose directory is {@code vmDir} to power off, without waiting:
     * QEMU presses the ACPI power button (QMP system_powerdown), Firecracker sends
     * Ctrl-Alt-Del (its guests end it by rebooting, which ends Firecracker). Needs only the
     * VM's control socket, so the unit's ExecStop helper can call it as well as the daemon.
     */
    public void requestPowerOff(Path vmDir) throws HypervisorException {
        if (this == FIRECRACKER) {
            FirecrackerHypervisor.sendCtrlAltDel(vmDir);
        } else {
            QemuHypervisor.pressPowerButton(vmDir);
        }
    }

    /** By {@link #key()}: "qemu" or "firecracker". */
    public static Optional<HypervisorKind> byKey(String key) {
        for (HypervisorKind k : values()) {
            if (k.key().equals(key)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
