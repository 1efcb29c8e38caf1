package io.scalebox.storage;

import io.scalebox.host.CommandException;
import io.scalebox.host.ToolSandbox;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Edits an ext4 image with e2fsprogs, without mounting it (nothing can leak a mount when the
 * daemon dies mid-way). The image holds what a guest wrote, so every tool runs in the
 * {@link ToolSandbox} as the unprivileged account, which is made the image's owner first.
 */
final class ImageEditor {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CHECK_TIMEOUT = Duration.ofMinutes(30);
    private static final int USER_UID = 1000;
    private final ToolSandbox sandbox;

    ImageEditor(ToolSandbox sandbox) {
        this.sandbox = sandbox;
    }

    /** Makes {@code key} the only line of /home/user/.ssh/authorized_keys (dir 0700, file 0600, 1000:1000). */
    void setUserKey(Path image, String key) throws IOException, CommandException {
        sandbox.account().own(image);
        replayJournal(image);
        Path tmp = sideFile(image, "key");
        try {
            Files.writeString(tmp, key + "\n");
            debugfs(image, List.of(tmp), String.join("\n",
                    "mkdir /home/user/.ssh",
                    "rm /home/user/.ssh/authorized_keys",
                    "write " + tmp + " /home/user/.ssh/authorized_keys",
                    owner("/home/user/.ssh", "040700"),
                    owner("/home/user/.ssh/authorized_keys", "0100600")));
            String listing = debugfs(image, List.of(), "stat /home/user/.ssh/authorized_keys");
            if (!listing.contains("Size: " + (key.length() + 1))) {
                throw new IOException("authorized_keys was not written into " + image.getFileName());
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Prepares a snapshot to be a template: empties the authorized_keys of user and root that
     * exist, and removes the SSH host keys and empties /etc/machine-id, so that every VM made
     * from it gets its own (systemd makes a machine id when the file is empty).
     */
    void clearIdentity(Path image) throws IOException, CommandException {
        sandbox.account().own(image);
        replayJournal(image);
        StringBuilder rm = new StringBuilder();
        for (String line : debugfs(image, List.of(), "ls -p /etc/ssh").split("\n")) {
            // -p lines: /inode/mode/uid/gid/name/size/
            String[] f = line.split("/");
            if (f.length > 5 && f[5].startsWith("ssh_host_")) {
                rm.append("rm /etc/ssh/").append(f[5]).append('\n');
            }
        }
        if (rm.length() > 0) {
            debugfs(image, List.of(), rm.toString());
        }
        Path empty = sideFile(image, "empty");
        try {
            for (String file : List.of("/home/user/.ssh/authorized_keys", "/root/.ssh/authorized_keys",
                    "/etc/machine-id")) {
                String stat = debugfs(image, List.of(), "stat " + file);
                if (stat.contains("File not found") || !stat.contains("Inode:")) {
                    continue;
                }
                String uid = file.startsWith("/home") ? String.valueOf(USER_UID) : "0";
                String mode = file.equals("/etc/machine-id") ? "0100444" : "0100600";
                debugfs(image, List.of(empty), String.join("\n", "rm " + file, "write " + empty + " " + file,
                        "set_inode_field " + file + " mode " + mode,
                        "set_inode_field " + file + " uid " + uid,
                        "set_inode_field " + file + " gid " + uid));
            }
        } finally {
            Files.deleteIfExists(empty);
        }
    }

    /**
     * An image copied from a running guest carries a journal that was never replayed. debugfs
     * edits the filesystem beside that journal, and the next replay (e2fsck, or the guest's
     * mount) would bring back what was removed; so replay it first (only that: fast).
     * Exit 1 means it replayed or fixed something.
     */
    private void replayJournal(Path image) throws CommandException {
        sandbox.run(List.of("e2fsck", "-y", "-E", "journal_only", image.toString()), null, image, List.of(),
                TIMEOUT, 0, 1);
    }

    /** Grows an ext4 image to {@code bytes} (never shrinks): extend the file, check it (resize2fs insists), resize. */
    void grow(Path image, long bytes) throws IOException, CommandException {
        sandbox.account().own(image);
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            if (f.length() >= bytes) {
                return;
            }
            f.setLength(bytes);
        }
        sandbox.run(List.of("e2fsck", "-f", "-y", image.toString()), null, image, List.of(), CHECK_TIMEOUT, 0, 1);
        sandbox.run(List.of("resize2fs", "-f", image.toString()), null, image, List.of(), CHECK_TIMEOUT);
    }

    /** A file beside the image for debugfs to read (a key, an empty file), the account's, deleted after use. */
    private Path sideFile(Path image, String what) throws IOException {
        Path file = image.resolveSibling("." + image.getFileName() + "." + what);
        Files.deleteIfExists(file);
        Files.createFile(file);
        sandbox.account().own(file);
        return file;
    }

    private static String owner(String path, String mode) {
        return "set_inode_field " + path + " mode " + mode + "\n"
                + "set_inode_field " + path + " uid " + USER_UID + "\n"
                + "set_inode_field " + path + " gid " + USER_UID;
    }

    private String debugfs(Path image, List<Path> reads, String script) throws CommandException {
        // debugfs reports failed requests on stderr but exits 0: callers verify the result.
        return sandbox.run(List.of("debugfs", "-w", "-f", "-", image.toString()), script + "\n", image, reads,
                TIMEOUT);
    }
}
