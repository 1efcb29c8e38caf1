package io.scalebox.vm;

import java.util.Optional;

/** A validated POST /vms body; absent sizes take the configured defaults. */
public record CreateRequest(String template, SshPublicKey sshPublicKey, Optional<String> name,
                            Optional<Integer> vcpuCount, Optional<Integer> memSizeMib,
                            Optional<Integer> diskSizeGib) {
}
