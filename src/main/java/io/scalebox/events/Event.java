package io.scalebox.events;

import java.time.Instant;
import java.util.Optional;

/**
 * One lifecycle event: a sequence number (the SSE id, increasing for the daemon's lifetime), when,
 * what ({@code vm.created}, {@code vm.stopped}, {@code template.deleted}, …), the VM it is about
 * (if any) and a short detail (an error code, a template name).
 */
public record Event(long id, Instant time, String type, Optional<String> vmId, Optional<String> vmName,
                    Optional<String> detail) {
}
