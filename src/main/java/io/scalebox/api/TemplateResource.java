package io.scalebox.api;

import io.scalebox.config.Config;
import io.scalebox.events.EventLog;
import io.scalebox.https.VmHostnames;
import io.scalebox.storage.TemplateStore;
import io.scalebox.vm.VmManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
    /** The last rendering of GET /templates; null: render again. */
    private volatile Rendered rendered;

    /**
     * GET /templates as rendered, for the directory as it was then. Templates change by rename
     * and delete (the directory's mtime moves), by the daemon (an event clears it at once), or
     * by a build outside it; a rendering is also redone after a second, so a change the mtime's
     * coarse clock missed shows within that.
     */
    private record Rendered(FileTime dirChanged, long atNanos, byte[] json) {
    }

    private static final long REFRESH_NANOS = 1_000_000_000L;

    public TemplateResource(Config config, TemplateStore templates, VmManager manager, EventLog events) {
        this.config = config;
        this.templates = templates;
        this.manager = manager;
        this.hostnames = new VmHostnames(config.baseDomain());
        events.listen(e -> {
            if (e.type().startsWith("snapshot.") || e.type().startsWith("template.")) {
                rendered = null;
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
                    manager.deleteTemplate(name);
                    return Response.noContent();
                }),
                Route.open("GET", "/caddy/check", r -> Response.empty(allowed(r.query("domain")) ? 200 : 404)));
    }

    private byte[] listJson() {
        FileTime changed = dirChanged();
        long now = System.nanoTime();
        Rendered r = rendered;
        if (r != null && r.dirChanged().equals(changed) && now - r.atNanos() < REFRESH_NANOS) {
            return r.json();
        }
        byte[] json = Json.GSON.toJson(Map.of("templates", list())).getBytes(StandardCharsets.UTF_8);
        rendered = new Rendered(changed, now, json);
        return json;
    }

    private FileTime dirChanged() {
        try {
            return Files.getLastModifiedTime(templates.dir());
        } catch (IOException e) {
            return FileTime.fromMillis(0); // no directory: no templates
        }
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
