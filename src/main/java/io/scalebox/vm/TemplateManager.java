package io.scalebox.vm;

import io.scalebox.config.Config;
import io.scalebox.events.EventLog;
import io.scalebox.storage.TemplateStore;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Templates as the API sees them, beyond the files: delete, warm states, and the events of a
 * debian-base build (which runs outside the daemon). Snapshots, made from VMs, stay with
 * {@link VmManager}.
 */
public final class TemplateManager {
    private static final Logger LOG = LogManager.getLogger(TemplateManager.class);
    /** A WARM_TEMPLATES build that failed is tried again after this long. */
    private static final long WARM_RETRY = java.time.Duration.ofMinutes(10).toMillis();
    private final Config config;
    private final TemplateStore templates;
    private final Snapshots snapshots;
    private final WarmTemplates warm;
    private final EventLog events;
    private final OperationMeter meter;
    private final Map<String, Long> warmFailedAt = new ConcurrentHashMap<>();
    /** debian-base's built_at when last looked (empty: not built). */
    private Optional<String> baseBuild;

    TemplateManager(Config config, TemplateStore templates, Snapshots snapshots, WarmTemplates warm, EventLog events,
                    OperationMeter meter) {
        this.config = config;
        this.templates = templates;
        this.snapshots = snapshots;
        this.warm = warm;
        this.events = events;
        this.meter = meter;
        this.baseBuild = baseBuild();
    }

    /** What the API shows of a template's warm state. */
    public record WarmView(long builtAtMillis, long stateBytes, int vcpuCount, int memSizeMib, int diskSizeGib,
                           boolean current) {
    }

    public void delete(String name) throws VmException {
        snapshots.deleteTemplate(name);
        warm.delete(name);
        events.publish("template.deleted", null, null, name);
    }

    /** Builds (or rebuilds) the template's warm state: a private VM booted, saved and frozen. */
    public WarmView warm(String template) throws VmException {
        try {
            meter.measured("warm", () -> warm.build(template));
            warmFailedAt.remove(template);
            events.publish("template.warmed", null, null, template);
            return warmState(template).orElseThrow();
        } catch (VmException e) {
            warmFailedAt.put(template, System.currentTimeMillis());
            events.publish("template.warm_failed", null, null, template + ": " + e.code().key());
            throw e;
        }
    }

    /** The template's warm state as recorded (GET /templates), and whether it is current. */
    public Optional<WarmView> warmState(String template) {
        return warm.recorded(template).map(w -> new WarmView(w.builtAtMillis(), w.stateBytes(),
                w.source().vcpuCount(), w.source().memSizeMib(), w.source().diskSizeGib(), !warm.stale(template)));
    }

    /**
     * Keeps WARM_TEMPLATES warm (a thread of its own calls it): each template that exists and
     * has no current state is built, one at a time; one that failed is tried again later.
     */
    public void keepWarm() {
        for (String template : config.warmTemplates()) {
            Long failed = warmFailedAt.get(template);
            if (!templates.exists(template) || !warm.stale(template)
                    || failed != null && System.currentTimeMillis() - failed < WARM_RETRY) {
                continue;
            }
            try {
                LOG.info("warm state of {}: building (WARM_TEMPLATES)", template);
                warm(template);
            } catch (VmException e) {
                // logged and published by the build; tried again later
            }
        }
    }

    /**
     * Publishes {@code template.built} when debian-base appears or is rebuilt: the build runs
     * outside the daemon (a oneshot unit, the CLI), so the daemon looks every few seconds.
     */
    public void noticeBaseBuild() {
        Optional<String> now = baseBuild();
        if (now.isPresent() && !now.equals(baseBuild)) {
            events.publish("template.built", null, null, Config.BASE_TEMPLATE);
        }
        baseBuild = now;
    }

    private Optional<String> baseBuild() {
        return templates.exists(Config.BASE_TEMPLATE)
                ? Optional.of(templates.metadata(Config.BASE_TEMPLATE).getOrDefault("built_at", "unknown"))
                : Optional.empty();
    }
}
