package io.scalebox.storage;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** The template images in one directory. Half-built ones ({@code .partial}) are not templates. */
public final class TemplateStore {
    public static final Pattern NAME = Pattern.compile("^[a-zA-Z0-9_-]{1,64}$");
    static final String SUFFIX = ".ext4";

    private final Path dir;

    public TemplateStore(Path dir) {
        this.dir = dir;
    }

    public Path image(String name) {
        return dir.resolve(name + SUFFIX);
    }

    public boolean exists(String name) {
        return Files.isRegularFile(image(name));
    }

    /** Where a snapshot is written before the rename that publishes it. */
    public Path partial(String name) {
        return dir.resolve(name + SUFFIX + ".partial");
    }

    /** Snapshot files (image, metadata) that were never published (a crash mid-snapshot). */
    public List<Path> partials() throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*{" + SUFFIX + ",.json}.partial")) {
            files.forEach(out::add);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        return out;
    }

    public Path dir() {
        return dir;
    }

    /** The kernel version the template's metadata names (built ones, and snapshots of their VMs). */
    public Optional<String> kernelVersion(String name) {
        return Optional.ofNullable(metadata(name).get("kernel_version"));
    }

    /** The text fields of {@code <name>.json}; none when it is missing or unreadable. */
    public Map<String, String> metadata(String name) {
        try {
            JsonElement e = JsonParser.parseString(Files.readString(metadataFile(name), StandardCharsets.UTF_8));
            Map<String, String> out = new LinkedHashMap<>();
            if (e.isJsonObject()) {
                e.getAsJsonObject().entrySet().stream()
                        .filter(f -> f.getValue().isJsonPrimitive() && f.getValue().getAsJsonPrimitive().isString())
                        .forEach(f -> out.put(f.getKey(), f.getValue().getAsString()));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            return Map.of(); // no metadata: the configured kernel, nothing to report
        }
    }

    /** A snapshot's metadata: where it came from, when, and the kernel its VMs boot. Atomic. */
    public void writeMetadata(String name, String sourceVm, long createdAtMillis, String kernelVersion)
            throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("name", name);
        o.addProperty("source_vm", sourceVm);
        o.addProperty("created_at", Instant.ofEpochMilli(createdAtMillis).toString());
        if (kernelVersion != null) {
            o.addProperty("kernel_version", kernelVersion);
        }
        Path tmp = dir.resolve(name + ".json.partial");
        Files.writeString(tmp, o + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, metadataFile(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private Path metadataFile(String name) {
        return dir.resolve(name + ".json");
    }

    /** Deletes the image and its metadata; false when there was none. */
    public boolean delete(String name) throws IOException {
        Files.deleteIfExists(metadataFile(name));
        return Files.deleteIfExists(image(name));
    }

    /** All templates, by name. A missing directory holds none. */
    public List<Template> list() throws IOException {
        List<Template> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                String file = f.getFileName().toString();
                String name = file.substring(0, file.length() - SUFFIX.length());
                if (!NAME.matcher(name).matches()) {
                    continue;
                }
                BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                if (a.isRegularFile()) {
                    out.add(new Template(name, a.size(), a.lastModifiedTime().toInstant()));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        out.sort(Comparator.comparing(Template::name));
        return out;
    }
}
