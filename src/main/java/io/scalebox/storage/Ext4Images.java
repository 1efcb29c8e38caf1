package io.scalebox.storage;

import io.scalebox.host.CommandException;
import io.scalebox.host.ToolSandbox;
import java.io.IOException;
import java.nio.file.Path;

/**
 * {@link DiskImages} with the host's tools: cp/reflink ({@link DiskCloner}), e2fsprogs confined
 * in a {@link ToolSandbox} ({@link ImageEditor}). A VM's disk ends up the unprivileged account's
 * (its hypervisor writes it); a snapshot's image goes back to root once scrubbed.
 */
public final class Ext4Images implements DiskImages {
    private final DiskCloner cloner;
    private final ToolSandbox sandbox;
    private final ImageEditor editor;

    public Ext4Images(DiskCloner cloner, ToolSandbox sandbox) {
        this.cloner = cloner;
        this.sandbox = sandbox;
        this.editor = new ImageEditor(sandbox);
    }

    @Override
    public void copy(Path from, Path to) throws IOException, CommandException {
        cloner.copy(from, to);
        // Its directory opened to the account's group (the tools reach the image through it).
        sandbox.account().shareDirectory(to.getParent());
        sandbox.account().own(to);
    }

    @Override
    public void grow(Path image, long bytes) throws IOException, CommandException {
        editor.grow(image, bytes);
    }

    @Override
    public void setUserKey(Path image, String key) throws IOException, CommandException {
        editor.setUserKey(image, key);
    }

    @Override
    public void clearIdentity(Path image) throws IOException, CommandException {
        editor.clearIdentity(image);
        sandbox.account().disown(image);
    }
}
