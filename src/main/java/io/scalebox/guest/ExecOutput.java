package io.scalebox.guest;

/** Bytes of a command's output (or another guest file) from an offset: at most what was asked, and whether there are more. */
public record ExecOutput(byte[] bytes, boolean more) {
}
