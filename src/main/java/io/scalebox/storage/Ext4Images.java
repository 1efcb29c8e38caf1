package io.scalebox.storage;

import io.scalebox.host.CommandException;
import java.io.IOException;
import java.nio.file.Path;

/** {@link DiskImages} with the host's tools: cp/reflink ({@link DiskCloner}), e2fsprogs ({@link ImageEditor}). */
public final class Ext4Images implements DiskImages {
    private final DiskCloner cloner;

    public Ext4Images(DiskCloner cloner) {
        this.cloner = cloner;
    }

    @Override
    public void copy(Path from, Path to) throws CommandException {
        cloner.copy(from, to);
    }

    @Override
    public void grow(Path image, long bytes) throws IOException, CommandException {
        DiskCloner.grow(image, bytes);
    }

    @Override
    public void setUserKey(Path image, String key) throws IOException, CommandException {
        ImageEditor.setUserKey(image, key);
    }

    @Override
    public void clearIdentity(Path image) throws IOException, CommandException {
        ImageEditor.clearIdentity(image);
    }
}
