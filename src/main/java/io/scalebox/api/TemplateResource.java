package io.scalebox.api;

import io.scalebox.config.Config;
import io.scalebox.events.EventLog;
import io.scalebox.https.VmHostnames;
import io.scalebox.storage.TemplateStore;
import io.scalebox.vm.TemplateManager;
import io.scalebox.vm.VmManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code GET /templates}, {@code DELETE /templates/{name}} and {@code GET /caddy/check}. */
public final class TemplateResource {
    private final Config config;
    private final TemplateStore templates;
    private final VmManager manager;
    private final VmHostnames hostnames;
    /**
     * GET /templates as rendered, for the directory as it was then. Templates change by rename
     * and delete (the directory's mtime moves), by the daemon (an event clears it at once), or
     * by a build outside it; the key also holds the current second, so a change the mtime's
     * coarse clock missed shows within a second.
     */
    private final RenderedJson rendered = new RenderedJson();
    private static final long REFRESH_NANOS = 1_000_000_000L;

    public TemplateResource(Config config, TemplateStore templates, VmManager manager, EventLog events) {
        this.config = config;
        this.templates = templates;
        this.manager = manager;
        this.hostnames = new VmHostnames(config.baseDomain());
        events.listen(e -> {
            if (e.type().startsWith("snapshot.") || e.type().startsWith("template.")) {
                rendered.clear();
            }
        });
    }

    public List<Route> routes() {
        return List.of(
                Route.authenticated("GET", "/templates", r -> Response.json(listJson())).onIoThread(),
                Route.authenticated("DELETE", "/templates/{name}", r -> {
                    String name = r.param("name");
                    if (!TemplateStore.NAME.matcher(name).matches()) {
                        throw ApiException.badRequest("invalid_template_name", "Invalid template name");
                    }
                    manager.templates().delete(name);
                    return Response.noContent();
                }),
                Route.authenticated("POST", "/templates/{name}/warm", r -> {
                    String name = r.param("name");
                    if (!TemplateStore.NAME.matcher(name).matches()) {
                        throw ApiException.badRequest("invalid_template_name", "Invalid template name");
                    }
                    if (!templates.exists(name)) {
                        throw new io.scalebox.vm.VmException(io.scalebox.vm.ErrorCode.TEMPLATE_NOT_FOUND,
                                "Template not found");
                    }
                    return Response.ok(Json.object("name", name, "warm", warmJson(manager.templates().warm(name))));
                }).slowly(),
                Route.open("GET", "/caddy/check", r -> Response.empty(allowed(r.query("domain")) ? 200 : 404)));
    }

    private byte[] listJson() {
        return rendered.get(List.of(dirChanged(), System.nanoTime() / REFRESH_NANOS),
                () -> Map.of("templates", list()));
    }

    private FileTime dirChanged() {
        try {
            return Files.getLastModifiedTime(templates.dir());
        } catch (IOException e) {
            return FileTime.fromMillis(0); // no directory: no templates
        }
    }

    /** The templates of this host as GET /templates renders them. */
    public List<Map<String, Object>> list() {
        try {
            return templates.list().stream().map(t -> Json.object("name", t.name(), "size_bytes", t.sizeBytes(),
                    "created_at", Json.time(t.createdAt()), "warm", warmJson(t.name()))).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A template's warm state (null without one): when, how large, for which shape, and whether current. */
    private Map<String, Object> warmJson(String template) {
        return manager.templates().warmState(template).map(TemplateResource::warmJson).orElse(null);
    }

    private static Map<String, Object> warmJson(TemplateManager.WarmView w) {
        return Json.object("built_at", Json.time(java.time.Instant.ofEpochMilli(w.builtAtMillis())),
                "state_bytes", w.stateBytes(), "vcpu_count", w.vcpuCount(), "mem_size_mib", w.memSizeMib(),
                "disk_size_gib", w.diskSizeGib(), "current", w.current());
    }

    /** The domain is {@code <vm name>.<BASE_DOMAIN>} of an existing VM. */
    boolean allowed(Optional<String> domain) {
        return domain.flatMap(hostnames::vmName).map(manager::nameExists).orElse(false);
    }
}
