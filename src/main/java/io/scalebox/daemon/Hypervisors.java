package io.scalebox.daemon;

import io.scalebox.config.Config;
import io.scalebox.host.Account;
import io.scalebox.hypervisor.FirecrackerHypervisor;
import io.scalebox.hypervisor.Hypervisor;
import io.scalebox.hypervisor.HypervisorKind;
import io.scalebox.hypervisor.ProcessLauncher;
import io.scalebox.hypervisor.QemuHypervisor;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** The hypervisor the configuration names, as the unprivileged account runs it. */
final class Hypervisors {
    private static final Logger LOG = LogManager.getLogger(Daemon.class);
    private static final Path PROC = Path.of("/proc");

    private Hypervisors() {
    }

    static Hypervisor configured(Config config, HypervisorKind kind, Account account, ProcessLauncher launcher)
            throws IOException {
        if (kind != HypervisorKind.FIRECRACKER) {
            return new QemuHypervisor(config.qemuBin(), config.qemuAccel(), launcher, QemuHypervisor.hostTscKhz(PROC));
        }
        FirecrackerHypervisor firecracker = FirecrackerHypervisor.at(config.firecrackerBin(), account, launcher);
        LOG.info("firecracker runs as {}{}", account.name(), firecracker.jailed()
                ? " under its jailer (" + config.firecrackerBin().resolveSibling("jailer") + ")"
                : " in the unit's sandbox (no jailer beside " + config.firecrackerBin() + ")");
        return firecracker;
    }
}
