package io.scalebox.host;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a host tool on data a guest wrote (e2fsprogs on a disk image) as the unprivileged
 * {@link Account}, in a throw-away sandbox: no network, no capabilities, no devices, a
 * read-only view of the system in which only the one image is writable, bounded memory, tasks
 * and time. Under systemd that is a transient service; without it, new network/IPC namespaces
 * and setpriv (the data directory stays visible there, readable as far as the account may).
 * A crafted filesystem that takes over the tool gets that sandbox, not root.
 */
public final class ToolSandbox {
    static final String MEMORY_MAX = "1G";
    private final Account account;
    private final boolean systemd;
    private final Path dataDir;

    public ToolSandbox(Account account, boolean systemd, Path dataDir) {
        this.account = account;
        this.systemd = systemd;
        this.dataDir = dataDir;
    }

    public Account account() {
        return account;
    }

    /**
     * Runs {@code argv} with {@code image} writable and {@code readable} files readable; both must
     * already be the account's (see {@link Account#own}). Output as {@link Command#run}.
     */
    public String run(List<String> argv, String stdin, Path image, List<Path> readable, Duration timeout,
                      int... okExitValues) throws CommandException {
        List<String> wrapped = new ArrayList<>(systemd ? unit(image, readable, timeout) : namespaces());
        wrapped.addAll(argv);
        try {
            // The unit's RuntimeMaxSec ends the tool; this bound is for systemd-run itself.
            return Command.run(wrapped, stdin, timeout.plusSeconds(15), okExitValues);
        } catch (CommandException e) {
            throw e.as(argv);
        }
    }

    List<String> unit(Path image, List<Path> readable, Duration timeout) {
        List<String> a = new ArrayList<>(List.of("systemd-run", "--quiet", "--collect", "--wait", "--pipe",
                "--description=scalebox image tool", "--slice=scalebox.slice"));
        List<String> properties = new ArrayList<>(List.of(
                "User=" + account.name(), "Group=" + account.name(),
                "NoNewPrivileges=yes", "CapabilityBoundingSet=", "AmbientCapabilities=",
                "PrivateNetwork=yes", "IPAddressDeny=any", "RestrictAddressFamilies=AF_UNIX",
                "PrivateDevices=yes", "PrivateTmp=yes", "PrivateIPC=yes",
                "ProtectSystem=strict", "ProtectHome=yes", "ProtectKernelTunables=yes", "ProtectKernelModules=yes",
                "ProtectKernelLogs=yes", "ProtectControlGroups=yes", "ProtectClock=yes", "ProtectHostname=yes",
                "ProtectProc=invisible", "ProcSubset=pid", "RestrictNamespaces=yes", "RestrictRealtime=yes",
                "RestrictSUIDSGID=yes", "LockPersonality=yes", "MemoryDenyWriteExecute=yes",
                "SystemCallArchitectures=native", "SystemCallFilter=@system-service",
                "SystemCallFilter=~@privileged @resources", "UMask=0077",
                // The data directory is replaced by an empty read-only tree holding only the image.
                "TemporaryFileSystem=" + dataDir + ":ro", "BindPaths=" + image,
                "MemoryMax=" + MEMORY_MAX, "MemorySwapMax=0", "TasksMax=16",
                "RuntimeMaxSec=" + timeout.toSeconds()));
        readable.forEach(r -> properties.add("BindReadOnlyPaths=" + r));
        properties.forEach(p -> a.add("--property=" + p));
        a.add("--");
        return a;
    }

    List<String> namespaces() {
        return new ArrayList<>(List.of("unshare", "--net", "--ipc", "--uts", "--",
                "prlimit", "--as=" + (4L << 30), "--core=0", "--",
                "setpriv", "--reuid=" + account.name(), "--regid=" + account.name(), "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"));
    }
}
