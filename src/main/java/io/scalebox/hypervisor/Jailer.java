package io.scalebox.hypervisor;

import io.scalebox.host.Account;
import io.scalebox.host.Command;
import io.scalebox.host.CommandException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Firecracker's jailer (docs/jailer.md), used when it is installed beside the firecracker
 * binary: started as root, it chroots into {@code <chroot base>/<exec name>/<id>/root}, makes
 * /dev/kvm and /dev/net/tun there, drops to the account's uid and gid and execs Firecracker.
 * Everything Firecracker opens must be inside that root, so the VM's disk, kernel and initrd
 * are hard-linked in (copied when on another filesystem) and the API speaks in paths of the
 * jail. The chroot base is the VM's own {@code jail/} directory, remade at every start.
 */
final class Jailer {
    static final String DISK = "/rootfs.ext4";
    static final String KERNEL = "/vmlinux";
    static final String INITRD = "/initrd.img";
    private final Path jailer;
    private final Path firecracker;
    private final String uid;
    private final String gid;

    Jailer(Path jailer, Path firecracker, String uid, String gid) {
        this.jailer = jailer;
        this.firecracker = firecracker;
        this.uid = uid;
        this.gid = gid;
    }

    /** The jailer beside {@code firecracker}, if installed there, running Firecracker as {@code account}. */
    static Optional<Jailer> beside(Path firecracker, Account account) throws IOException {
        Path jailer = firecracker.resolveSibling("jailer");
        if (!Files.isExecutable(jailer)) {
            return Optional.empty();
        }
        try {
            // getent: name:password:uid:gid:…
            String[] entry = Command.run(List.of("getent", "passwd", account.name()), Duration.ofSeconds(10))
                    .strip().split(":");
            return Optional.of(new Jailer(jailer, firecracker, entry[2], entry[3]));
        } catch (CommandException | ArrayIndexOutOfBoundsException e) {
            throw new IOException("cannot read the uid and gid of " + account.name() + ": " + e.getMessage(), e);
        }
    }

    static Path chrootBase(Path vmDir) {
        return vmDir.resolve("jail");
    }

    Path root(VmSpec spec) {
        return chrootBase(spec.dir()).resolve(firecracker.getFileName().toString()).resolve(spec.id()).resolve("root");
    }

    /** The API socket as Firecracker names it inside the jail: unique per VM, so it identifies the process. */
    static String socketInJail(String vmId) {
        return "/" + vmId + ".sock";
    }

    /** The API socket of a jailed VM as the host sees it, found under the VM's directory. */
    static Optional<Path> hostSocket(Path vmDir) {
        String id = String.valueOf(vmDir.getFileName());
        Path base = chrootBase(vmDir);
        if (!Files.isDirectory(base, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try (Stream<Path> names = Files.list(base)) {
            return names.map(n -> n.resolve(id).resolve("root").resolve(socketInJail(id).substring(1)))
                    .filter(Files::exists).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The jailer's command line (its documented usage), Firecracker's own arguments after "--". */
    List<String> argv(VmSpec spec) {
        return List.of(jailer.toString(), "--id", spec.id(), "--exec-file", firecracker.toString(),
                "--uid", uid, "--gid", gid, "--chroot-base-dir", chrootBase(spec.dir()).toString(),
                "--", "--api-sock", socketInJail(spec.id()));
    }

    /** How the running Firecracker's command line ends, whatever the jailer puts before it. */
    List<String> identity(VmSpec spec) {
        return List.of(firecracker.toString(), "--api-sock", socketInJail(spec.id()));
    }

    /** A fresh jail with the disk, kernel and initrd linked in; the jailer makes the rest. */
    void prepare(VmSpec spec) throws IOException {
        Path base = chrootBase(spec.dir());
        if (Files.exists(base, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> all = Files.walk(base)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Path root = Files.createDirectories(root(spec));
        // The disk only as a hard link (same directory tree): a copy would lose the guest's writes.
        Files.createLink(root.resolve(DISK.substring(1)), spec.disk());
        linkOrCopy(spec.kernel(), root.resolve(KERNEL.substring(1)));
        if (spec.initrd().isPresent()) {
            linkOrCopy(spec.initrd().get(), root.resolve(INITRD.substring(1)));
        }
    }

    private static void linkOrCopy(Path target, Path link) throws IOException {
        try {
            Files.createLink(link, target);
        } catch (FileSystemException e) {
            Files.copy(target, link, StandardCopyOption.COPY_ATTRIBUTES); // another filesystem
        }
    }
}
