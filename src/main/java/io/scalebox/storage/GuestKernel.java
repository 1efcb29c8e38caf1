package io.scalebox.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The kernel (and optional initrd) every VM boots; built with the debian-base template. */
public record GuestKernel(Path kernel, Optional<Path> initrd) {
    /** What an operator runs to get the kernel and the base template. */
    public static final String BUILD_COMMAND = "sudo scalebox template build debian-base";

    /** Why VMs cannot boot, as a message that names the fix; empty when they can. */
    public Optional<String> problem() {
        if (!Files.isRegularFile(kernel)) {
            return Optional.of("Guest kernel not found at " + kernel + ": run '" + BUILD_COMMAND + "' on the host");
        }
        if (initrd.isPresent() && !Files.isRegularFile(initrd.get())) {
            return Optional.of("Guest initrd not found at " + initrd.get() + ": run '" + BUILD_COMMAND
                    + "' on the host");
        }
        return Optional.empty();
    }

    public boolean ready() {
        return problem().isEmpty();
    }
}
