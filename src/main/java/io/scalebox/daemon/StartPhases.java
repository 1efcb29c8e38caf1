package io.scalebox.daemon;

/** How long each step of the start took (a debug line: where a slow start spends its time). */
final class StartPhases {
    private final StringBuilder done = new StringBuilder();
    private long since = System.nanoTime();

    void mark(String phase) {
        long now = System.nanoTime();
        done.append(done.length() == 0 ? "" : ", ").append(phase).append(' ').append((now - since) / 1_000_000)
                .append(" ms");
        since = now;
    }

    @Override
    public String toString() {
        return done.toString();
    }
}
