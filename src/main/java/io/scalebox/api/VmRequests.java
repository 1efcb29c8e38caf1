package io.scalebox.api;

import com.google.gson.JsonObject;
import io.scalebox.config.Config;
import io.scalebox.storage.TemplateStore;
import io.scalebox.vm.CreateRequest;
import io.scalebox.vm.SshPublicKey;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The bodies of the VM endpoints as validated values, checked in api.md's order; every
 * failure is a 400 naming the field. Size limits are the configured ones.
 */
final class VmRequests {
    static final Pattern VM_NAME = Pattern.compile("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
    private final Config config;

    VmRequests(Config config) {
        this.config = config;
    }

    CreateRequest create(JsonObject body) throws ApiException {
        String template = JsonFields.requiredString(body, "template");
        if (!TemplateStore.NAME.matcher(template).matches()) {
            throw ApiException.badRequest("invalid_template_name", "Invalid template name");
        }
        SshPublicKey key;
        try {
            key = SshPublicKey.parse(JsonFields.requiredString(body, "ssh_public_key"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_ssh_key", e.getMessage());
        }
        Optional<String> name = JsonFields.optionalString(body, "name");
        if (name.isPresent() && !VM_NAME.matcher(name.get()).matches()) {
            throw ApiException.badRequest("invalid_name", "Invalid name: use 1 to 63 lowercase letters, digits or '-', "
                    + "starting and ending with a letter or digit");
        }
        return new CreateRequest(template, key, name,
                JsonFields.optionalInt(body, "vcpu_count", 1, config.maxVcpuCount()),
                JsonFields.optionalInt(body, "mem_size_mib", 128, config.maxMemSizeMib()),
                JsonFields.optionalInt(body, "disk_size_gib", 1, config.maxDiskSizeGib()));
    }

    /** The new template's name of a snapshot. */
    static String snapshotName(JsonObject body) throws ApiException {
        String template = JsonFields.requiredString(body, "template_name");
        if (!TemplateStore.NAME.matcher(template).matches()) {
            throw ApiException.badRequest("invalid_template_name", "Invalid template name. Use alphanumeric, dash, or underscore only.");
        }
        return template;
    }

    /** Whether a stop forces the VM off at once ({@code {"force": true}}); an empty body does not. */
    static boolean stopForce(JsonObject body) throws ApiException {
        return JsonFields.optionalBoolean(body, "force").orElse(false);
    }

    /** Whether a start of a paused VM boots it from its disk, dropping its state ({@code {"discard_state": true}}). */
    static boolean startDiscardState(JsonObject body) throws ApiException {
        return JsonFields.optionalBoolean(body, "discard_state").orElse(false);
    }
}
