package io.scalebox.storage;

import io.scalebox.host.CommandException;
import java.io.IOException;
import java.nio.file.Path;

/** The ext4 disk images of VMs and templates ({@link Ext4Images}). */
public interface DiskImages {
    /** Copies an image, copy-on-write where the filesystem allows. */
    void copy(Path from, Path to) throws IOException, CommandException;

    /** Grows the image file and its filesystem to {@code bytes}; never shrinks. */
    void grow(Path image, long bytes) throws IOException, CommandException;

    /** Writes {@code key} as user's only authorized key. */
    void setUserKey(Path image, String key) throws IOException, CommandException;

    /** Removes what must not pass from a VM into a template: authorized keys, SSH host keys. */
    void clearIdentity(Path image) throws IOException, CommandException;
}
