package io.scalebox.api;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.scalebox.config.Config;
import io.scalebox.storage.TemplateStore;
import io.scalebox.vm.CreateRequest;
import io.scalebox.vm.Snapshot;
import io.scalebox.vm.Vm;
import io.scalebox.vm.VmException;
import io.scalebox.vm.VmManager;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The VM endpoints of api.md: create, list, get, delete, snapshot, stop, start. */
public final class VmResource {
    static final Pattern VM_NAME = Pattern.compile("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
    // One key line: type, base64 blob, optional comment; no options prefix, no line breaks.
    private static final Pattern KEY_LINE = Pattern.compile(
            "^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\\.com"
                    + "|sk-ecdsa-sha2-nistp256@openssh\\.com) ([A-Za-z0-9+/]+={0,3})(?: [\\x20-\\x7e]*)?$");
    private static final int MAX_KEY_LENGTH = 16 * 1024;

    private final Config config;
    private final VmManager manager;
    private final String hostIp;

    public VmResource(Config config, VmManager manager, String hostIp) {
        this.config = config;
        this.manager = manager;
        this.hostIp = hostIp;
    }

    public List<Route> routes() {
        return List.of(
                Route.authenticated("GET", "/vms", r -> Response.ok(Map.of("vms",
                        manager.list().stream().map(this::view).toList()))),
                Route.authenticated("POST", "/vms", this::create),
                Route.authenticated("GET", "/vms/{id}", r -> Response.ok(view(call(() -> manager.get(r.param("id")))))),
                Route.authenticated("DELETE", "/vms/{id}", r -> {
                    call(() -> {
                        manager.delete(r.param("id"));
                        return null;
                    });
                    return Response.noContent();
                }),
                Route.authenticated("POST", "/vms/{id}/snapshot", this::snapshot),
                Route.authenticated("POST", "/vms/{id}/stop", this::stop),
                Route.authenticated("POST", "/vms/{id}/start", r -> Response.ok(view(call(() -> manager.start(r.param("id")))))));
    }

    private Response create(Request r) throws ApiException {
        JsonObject body = r.jsonObject();
        String template = requiredString(body, "template");
        if (!TemplateStore.NAME.matcher(template).matches()) {
            throw ApiException.badRequest("Invalid template name");
        }
        String key = requiredString(body, "ssh_public_key");
        checkKey(key);
        Optional<String> name = optionalString(body, "name");
        if (name.isPresent() && !VM_NAME.matcher(name.get()).matches()) {
            throw ApiException.badRequest("Invalid name: use 1 to 63 lowercase letters, digits or '-', "
                    + "starting and ending with a letter or digit");
        }
        Optional<Integer> vcpus = optionalInt(body, "vcpu_count", 1, config.maxVcpuCount());
        Optional<Integer> mem = optionalInt(body, "mem_size_mib", 128, config.maxMemSizeMib());
        Optional<Integer> disk = optionalInt(body, "disk_size_gib", 1, config.maxDiskSizeGib());
        CreateRequest req = new CreateRequest(template, key.strip(), name, vcpus, mem, disk);
        return Response.created(view(call(() -> manager.create(req))));
    }

    private Response snapshot(Request r) throws ApiException {
        Vm vm = call(() -> manager.get(r.param("id")));
        JsonObject body = r.jsonObject();
        String template = requiredString(body, "template_name");
        if (!TemplateStore.NAME.matcher(template).matches()) {
            throw ApiException.badRequest("Invalid template name. Use alphanumeric, dash, or underscore only.");
        }
        Snapshot s = call(() -> manager.snapshot(vm.id(), template));
        return Response.created(Json.object("template", s.template(), "source_vm", s.sourceVm(),
                "size_bytes", s.sizeBytes(), "created_at", Json.time(Instant.ofEpochMilli(s.createdAtMillis()))));
    }

    /** Optional body {"force": true}: no clean shutdown, the guest is powered off at once. */
    private Response stop(Request r) throws ApiException {
        Vm vm = call(() -> manager.get(r.param("id")));
        boolean force = optionalBoolean(r.jsonObject(), "force").orElse(false);
        return Response.ok(view(call(() -> manager.stop(vm.id(), force))));
    }

    Map<String, Object> view(Vm vm) {
        return Json.object(
                "id", vm.id(),
                "name", vm.name(),
                "template", vm.template(),
                "ip", hostIp,
                "ssh_port", vm.sshPort(),
                "ssh", "ssh -p " + vm.sshPort() + " user@" + hostIp,
                "url", config.baseDomain().map(d -> "https://" + vm.name() + "." + d).orElse(null),
                "status", vm.status().name(),
                "vcpu_count", vm.vcpuCount(),
                "mem_size_mib", vm.memSizeMib(),
                "disk_size_gib", vm.diskSizeGib(),
                "created_at", Json.time(Instant.ofEpochMilli(vm.createdAtMillis())));
    }

    /** Runs an engine call, turning its refusals into the contract's statuses. */
    static <T> T call(EngineCall<T> c) throws ApiException {
        try {
            return c.run();
        } catch (VmException e) {
            throw new ApiException(status(e.reason()), e.getMessage());
        }
    }

    static int status(VmException.Reason reason) {
        return switch (reason) {
            case BAD_REQUEST -> 400;
            case FORBIDDEN -> 403;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case INSUFFICIENT_STORAGE -> 507;
            case UNAVAILABLE -> 503;
            case FAILED -> 500;
        };
    }

    /** An engine call that may refuse. */
    @FunctionalInterface
    interface EngineCall<T> {
        T run() throws VmException;
    }

    private static void checkKey(String key) throws ApiException {
        String line = key.strip();
        Matcher m = KEY_LINE.matcher(line);
        if (key.length() > MAX_KEY_LENGTH || key.contains("\n") || key.contains("\r") || !m.matches()) {
            throw ApiException.badRequest("ssh_public_key must be one OpenSSH public key line (ssh-ed25519, "
                    + "ssh-rsa, ecdsa-sha2-*, sk-*) without options or line breaks");
        }
        // The blob starts with its own key type: a mismatch is not a real key.
        try {
            byte[] blob = Base64.getDecoder().decode(m.group(2));
            int len = ((blob[0] & 0xff) << 24) | ((blob[1] & 0xff) << 16) | ((blob[2] & 0xff) << 8) | (blob[3] & 0xff);
            String type = new String(blob, 4, len, java.nio.charset.StandardCharsets.US_ASCII);
            if (!type.equals(m.group(1))) {
                throw ApiException.badRequest("ssh_public_key is not a valid " + m.group(1) + " key");
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw ApiException.badRequest("ssh_public_key is not a valid " + m.group(1) + " key");
        }
    }

    static String requiredString(JsonObject body, String field) throws ApiException {
        return optionalString(body, field).orElseThrow(() -> ApiException.badRequest(field + " is required"));
    }

    static Optional<String> optionalString(JsonObject body, String field) throws ApiException {
        JsonElement e = body.get(field);
        if (e == null || e.isJsonNull()) {
            return Optional.empty();
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw ApiException.badRequest(field + " must be a string");
        }
        String s = e.getAsString();
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    static Optional<Boolean> optionalBoolean(JsonObject body, String field) throws ApiException {
        JsonElement e = body.get(field);
        if (e == null || e.isJsonNull()) {
            return Optional.empty();
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw ApiException.badRequest(field + " must be true or false");
        }
        return Optional.of(e.getAsBoolean());
    }

    private static Optional<Integer> optionalInt(JsonObject body, String field, int min, int max)
            throws ApiException {
        JsonElement e = body.get(field);
        if (e == null || e.isJsonNull()) {
            return Optional.empty();
        }
        String range = field + " must be between " + min + " and " + max;
        if (!e.isJsonPrimitive() || !((JsonPrimitive) e).isNumber()) {
            throw ApiException.badRequest(field + " must be an integer");
        }
        java.math.BigDecimal d = e.getAsBigDecimal();
        if (d.stripTrailingZeros().scale() > 0) {
            throw ApiException.badRequest(field + " must be an integer");
        }
        if (d.compareTo(java.math.BigDecimal.valueOf(min)) < 0 || d.compareTo(java.math.BigDecimal.valueOf(max)) > 0) {
            throw ApiException.badRequest(range);
        }
        return Optional.of(d.intValueExact());
    }
}
