package io.scalebox.hypervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A Firecracker snapshot's two files (the microVM state and the guest memory) between the
 * directory Firecracker writes (its control directory or jail, the account's) and the saved VM's
 * directory (the daemon's). Firecracker writes them as the account, which a guest that took it
 * over controls: only regular files of one link are taken, and they become root's, readable by
 * the account's group, so that a later Firecracker maps them but can never change them (a changed
 * memory file corrupts whoever maps it).
 */
final class FirecrackerState {
    static final String VMSTATE = "snapshot.vmstate";
    static final String MEMORY = "snapshot.memory";

    private FirecrackerState() {
    }

    /** Moves the files from {@code from} into {@code dir}; returns their size together. */
    static long take(Path from, Path dir, long maxBytes) throws IOException {
        long total = 0;
        for (String name : List.of(VMSTATE, MEMORY)) {
            Path f = from.resolve(name);
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
                    || (int) Files.getAttribute(f, "unix:nlink", LinkOption.NOFOLLOW_LINKS) != 1) {
                throw new IOException(name + " is not a file Firecracker wrote");
            }
            total += Files.size(f);
            if (total > maxBytes) {
                throw new IOException("the snapshot is over " + maxBytes + " bytes");
            }
            Path to = dir.resolve(name);
            Files.move(f, to, StandardCopyOption.REPLACE_EXISTING);
            Files.setOwner(to, to.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName(System.getProperty("user.name")));
            Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-r-----"));
        }
        return total;
    }

    /** Hard links of the files where Firecracker looks for them (same file system: both are in the VM's directory). */
    static void lend(Path dir, Path to) throws IOException {
        var group = Files.readAttributes(to, java.nio.file.attribute.PosixFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS).group();
        for (String name : List.of(VMSTATE, MEMORY)) {
            Path file = dir.resolve(name);
            Files.getFileAttributeView(file, java.nio.file.attribute.PosixFileAttributeView.class).setGroup(group);
            Files.deleteIfExists(to.resolve(name));
            Files.createLink(to.resolve(name), file);
        }
    }

    /** Removes the links {@link #lend} made (Firecracker has mapped the memory; the inode lives on while it does). */
    static void unlend(Path to) throws IOException {
        for (String name : List.of(VMSTATE, MEMORY)) {
            Files.deleteIfExists(to.resolve(name));
        }
    }
}
