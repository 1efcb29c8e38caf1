package io.scalebox.storage;

import io.scalebox.host.Command;
import io.scalebox.host.CommandException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Edits files inside an ext4 image with debugfs, without mounting it: nothing can leak a
 * mount when the daemon dies mid-way.
 */
public final class ImageEditor {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int USER_UID = 1000;

    private ImageEditor() {
    }

    /** Makes {@code key} the only line of /home/user/.ssh/authorized_keys (dir 0700, file 0600, 1000:1000). */
    public static void setUserKey(Path image, String key) throws IOException, CommandException {
        replayJournal(image);
        Path tmp = Files.createTempFile("scalebox-key", ".pub");
        try {
            Files.writeString(tmp, key + "\n");
            debugfs(image, String.join("\n",
                    "mkdir /home/user/.ssh",
                    "rm /home/user/.ssh/authorized_keys",
                    "write " + tmp + " /home/user/.ssh/authorized_keys",
                    owner("/home/user/.ssh", "040700"),
                    owner("/home/user/.ssh/authorized_keys", "0100600")));
            String listing = debugfs(image, "stat /home/user/.ssh/authorized_keys");
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
    public static void clearIdentity(Path image) throws IOException, CommandException {
        replayJournal(image);
        StringBuilder rm = new StringBuilder();
        for (String line : debugfs(image, "ls -p /etc/ssh").split("\n")) {
            // -p lines: /inode/mode/uid/gid/name/size/
            String[] f = line.split("/");
            if (f.length > 5 && f[5].startsWith("ssh_host_")) {
                rm.append("rm /etc/ssh/").append(f[5]).append('\n');
            }
        }
        if (rm.length() > 0) {
            debugfs(image, rm.toString());
        }
        Path empty = Files.createTempFile("scalebox-empty", "");
        try {
            for (String file : List.of("/home/user/.ssh/authorized_keys", "/root/.ssh/authorized_keys",
                    "/etc/machine-id")) {
                String stat = debugfs(image, "stat " + file);
                if (stat.contains("File not found") || !stat.contains("Inode:")) {
                    continue;
                }
                String uid = file.startsWith("/home") ? String.valueOf(USER_UID) : "0";
                String mode = file.equals("/etc/machine-id") ? "0100444" : "0100600";
                debugfs(image, String.join("\n", "rm " + file, "write " + empty + " " + file,
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
    static void replayJournal(Path image) throws CommandException {
        Command.run(List.of("e2fsck", "-y", "-E", "journal_only", image.toString()), null, TIMEOUT, 0, 1);
    }

    /** A full check, which resize2fs insists on. */
    static void check(Path image) throws CommandException {
        Command.run(List.of("e2fsck", "-f", "-y", image.toString()), null, Duration.ofMinutes(30), 0, 1);
    }

    private static String owner(String path, String mode) {
        return "set_inode_field " + path + " mode " + mode + "\n"
                + "set_inode_field " + path + " uid " + USER_UID + "\n"
                + "set_inode_field " + path + " gid " + USER_UID;
    }

    private static String debugfs(Path image, String script) throws CommandException {
        // debugfs reports failed requests on stderr but exits 0: callers verify the result.
        return Command.run(List.of("debugfs", "-w", "-f", "-", image.toString()), script + "\n", TIMEOUT);
    }
}
