package io.scalebox.events;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The event history on disk ({@code DATA_DIR/events.jsonl}, one JSON object a line, the same
 * fields as the stream's data), so that ids go on increasing across daemon restarts and a client
 * resuming after one still gets what it missed. Each line is written through to the disk before
 * the event is handed to listeners: an id a client has seen is never issued again. The file is
 * rewritten with the newest {@code keep} events once it holds twice that many.
 */
public final class EventFile implements AutoCloseable {
    private final Path path;
    private final int keep;
    private FileChannel out;
    private int lines;

    private EventFile(Path path, int keep) {
        this.path = path;
        this.keep = keep;
    }

    /** Opens (or creates) the file and returns it with the newest {@code keep} events it holds. */
    public static Loaded open(Path path, int keep) throws IOException {
        EventFile file = new EventFile(path, keep);
        List<Event> events = file.read();
        file.lines = events.size();
        file.out = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        if (file.out.size() > 0 && !endsWithNewline(path)) {
            file.out.write(ByteBuffer.wrap(new byte[] {'\n'})); // after a torn line, the next starts afresh
        }
        return new Loaded(file, events.subList(Math.max(0, events.size() - keep), events.size()));
    }

    /** The file and the events it held when opened, oldest first. */
    public record Loaded(EventFile file, List<Event> events) {
    }

    private static boolean endsWithNewline(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer last = ByteBuffer.allocate(1);
            ch.read(last, ch.size() - 1);
            return last.get(0) == '\n';
        }
    }

    private List<Event> read() throws IOException {
        List<Event> events = new ArrayList<>();
        if (!Files.exists(path)) {
            return events;
        }
        for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
            parse(line).ifPresent(events::add); // a torn last line (a crash mid-write) is skipped
        }
        return events;
    }

    /**
     * Appends events and forces them to the disk at once (one write-through for a batch);
     * compacts the file to {@code held} when it has grown to twice {@code keep}.
     */
    void append(List<Event> events, java.util.function.Supplier<List<Event>> held) throws IOException {
        StringBuilder text = new StringBuilder();
        events.forEach(e -> text.append(format(e)).append('\n'));
        ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
        out.force(false);
        lines += events.size();
        if (lines >= 2 * keep) {
            compact(held.get());
        }
    }

    private void compact(List<Event> held) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        StringBuilder text = new StringBuilder();
        held.forEach(e -> text.append(format(e)).append('\n'));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        out.close();
        out = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        lines = held.size();
    }

    static String format(Event e) {
        JsonObject o = new JsonObject();
        o.addProperty("id", e.id());
        o.addProperty("time", e.time().toString());
        o.addProperty("type", e.type());
        o.addProperty("vm_id", e.vmId().orElse(null));
        o.addProperty("vm_name", e.vmName().orElse(null));
        o.addProperty("detail", e.detail().orElse(null));
        return o.toString();
    }

    static Optional<Event> parse(String line) {
        try {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            return Optional.of(new Event(o.get("id").getAsLong(), Instant.parse(o.get("time").getAsString()),
                    o.get("type").getAsString(), text(o, "vm_id"), text(o, "vm_name"), text(o, "detail")));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> text(JsonObject o, String field) {
        JsonElement e = o.get(field);
        return e == null || e.isJsonNull() ? Optional.empty() : Optional.of(e.getAsString());
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
