package io.scalebox.storage;

import java.time.Instant;

/** A template image: {@code DATA_DIR/templates/<name>.ext4}. */
public record Template(String name, long sizeBytes, Instant createdAt) {
}
