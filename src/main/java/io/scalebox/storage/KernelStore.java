package io.scalebox.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code DATA_DIR/kernel}: the latest built kernel at the top ({@code vmlinux}, {@code initrd.img}),
 * and each build's kernel in a directory named by its version. VMs keep booting the kernel their
 * template was built with, because their disks hold that kernel's modules; a rebuild with a newer
 * kernel only applies to templates built with it.
 */
public final class KernelStore {
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.+_~-]{0,127}");

    private final Path dir;
    private final GuestKernel configured;

    public KernelStore(Path dir, GuestKernel configured) {
        this.dir = dir;
        this.configured = configured;
    }

    /** KERNEL_PATH and INITRD_PATH as configured. */
    public GuestKernel configured() {
        return configured;
    }

    /**
     * The kernel for a VM whose template was built with {@code version} (null: unknown). That
     * build's kernel while the configuration follows the built kernels (KERNEL_PATH is
     * DATA_DIR/kernel/vmlinux) and its files exist; otherwise the configured kernel, so an
     * operator's own KERNEL_PATH applies to every VM.
     */
    public GuestKernel forVersion(String version) {
        if (version == null || !VERSION.matcher(version).matches()
                || !configured.kernel().equals(dir.resolve("vmlinux"))) {
            return configured;
        }
        Path kernel = dir.resolve(version).resolve("vmlinux");
        Path initrd = dir.resolve(version).resolve("initrd.img");
        if (!Files.isRegularFile(kernel) || !Files.isRegularFile(initrd)) {
            return configured;
        }
        return new GuestKernel(kernel, Optional.of(initrd));
    }
}
