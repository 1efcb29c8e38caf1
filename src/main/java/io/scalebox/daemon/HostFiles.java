package io.scalebox.daemon;

import io.scalebox.config.Config;
import io.scalebox.host.Account;
import io.scalebox.host.CommandException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * What the daemon makes ready on the host's file system before it starts anything: DATA_DIR
 * and its directories, what the unprivileged accounts need to reach (directories, kernels,
 * /dev/net/tun), and the forwarders' control directory under the run directory.
 */
final class HostFiles {
    private static final Logger LOG = LogManager.getLogger(HostFiles.class);
    private static final Path TUN = Path.of("/dev/net/tun");
    private final Config config;
    private final Path runDir;

    HostFiles(Config config, Path runDir) {
        this.config = config;
        this.runDir = runDir;
    }

    private List<Path> dataDirs() {
        return List.of(config.dataDir(), config.templatesDir(), config.vmsDir(), config.dataDir().resolve("kernel"));
    }

    /** DATA_DIR, templates/, vms/ and kernel/, 0750 where they are new. */
    void makeDataDirs() throws IOException {
        for (Path dir : dataDirs()) {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwxr-x---")));
            }
        }
    }

    /**
     * Lets the hypervisors' account reach what it needs: DATA_DIR's directories through its
     * group, the kernels (built before hypervisors ran unprivileged, they are root's alone),
     * and /dev/net/tun.
     */
    void shareWith(Account account) throws IOException {
        for (Path dir : dataDirs()) {
            account.shareDirectory(dir);
        }
        try (var kernels = Files.walk(config.dataDir().resolve("kernel"), 2)) {
            for (Path p : kernels.filter(p -> !Files.isSymbolicLink(p)).toList()) {
                account.shareReadable(p);
            }
        }
        openTun(account);
    }

    /**
     * Hypervisors open the TAP through /dev/net/tun as the account. udev makes it 0666; where no
     * udev runs (containers, minimal images) it is 0600 root, and the account gets an ACL entry.
     */
    private static void openTun(Account account) {
        if (account.mayOpen(TUN)) {
            return;
        }
        String mode = Account.modeOf(TUN);
        try {
            account.grantDevice(TUN);
            LOG.info("{} is {} (no udev rule opened it): {} may read and write it through a POSIX ACL entry of its"
                    + " own (made at each start, removed on purge)", TUN, mode, account.name());
        } catch (CommandException e) {
            LOG.warn("{} is not open to {} (mode {}) and no ACL entry could be added ({}): VMs will fail to start"
                    + " with \"could not open {}\"; install the acl package, or open it as udev's default rule"
                    + " does: chmod 0666 {}", TUN, account.name(), mode, e.getMessage(), TUN, TUN);
        }
    }

    /**
     * The forwarders' control directory, {@code RUN_DIR/forwarder}: the forwarder account's alone
     * (it makes its sockets there), under a run directory others may only traverse.
     */
    Path forwarderDir(Account forwarder) throws IOException {
        Path dir = runDir.resolve("forwarder");
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(runDir, PosixFilePermissions.fromString("rwx--x--x"));
        forwarder.own(dir);
        return dir;
    }
}
