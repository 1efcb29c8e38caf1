package io.scalebox.api;

import io.scalebox.config.Config;
import io.scalebox.https.VmHostnames;
import io.scalebox.storage.TemplateStore;
import io.scalebox.vm.VmManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code GET /templates}, {@code DELETE /templates/{name}} and {@code GET /caddy/check}. */
public final class TemplateResource {
    private final Config config;
    private final TemplateStore templates;
    private final VmManager manager;
    private final VmHostnames hostnames;

    public TemplateResource(Config config, TemplateStore templates, VmManager manager) {
        this.config = config;
        this.templates = templates;
        this.manager = manager;
        this.hostnames = new VmHostnames(config.baseDomain());
    }

    public List<Route> routes() {
        return List.of(
                Route.authenticated("GET", "/templates", r -> Response.ok(Map.of("templates", list()))),
                Route.authenticated("DELETE", "/templates/{name}", r -> {
                    String name = r.param("name");
                    if (!TemplateStore.NAME.matcher(name).matches()) {
                        throw ApiException.badRequest("invalid_template_name", "Invalid template name");
                    }
                    manager.deleteTemplate(name);
                    return Response.noContent();
                }),
                Route.open("GET", "/caddy/check", r -> Response.empty(allowed(r.query("domain")) ? 200 : 404)));
    }

    private List<Map<String, Object>> list() {
        try {
            return templates.list().stream().map(t -> Json.object("name", t.name(), "size_bytes", t.sizeBytes(),
                    "created_at", Json.time(t.createdAt()))).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The domain is {@code <vm name>.<BASE_DOMAIN>} of an existing VM. */
    boolean allowed(Optional<String> domain) {
        return domain.flatMap(hostnames::vmName).map(manager::nameExists).orElse(false);
    }
}
