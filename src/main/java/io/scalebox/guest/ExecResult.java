package io.scalebox.guest;

import java.util.Optional;

/**
 * How a command ended and what it wrote: the exit status, or the signal that ended it; whether
 * Scalebox ended it at its timeout; each output stream up to the request's cap, and whether it
 * was longer.
 */
public record ExecResult(Optional<Integer> exitCode, Optional<Integer> signal, boolean timedOut, byte[] stdout,
                         byte[] stderr, boolean stdoutTruncated, boolean stderrTruncated, long durationMs) {
}
