package io.scalebox.fleet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * This host's id in the fleet, made at the first start in fleet mode and kept in
 * DATA_DIR/fleet/host-id, and the id of the last lease it held (revoked at the next start, so
 * that a restarted daemon rejoins at once instead of waiting for the old lease to run out).
 */
public final class HostIdentity {
    private final Path dir;
    private final String id;

    private HostIdentity(Path dir, String id) {
        this.dir = dir;
        this.id = id;
    }

    public static HostIdentity load(Path dataDir) throws IOException {
        Path dir = dataDir.resolve("fleet");
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path file = dir.resolve("host-id");
        if (Files.exists(file)) {
            String id = Files.readString(file, StandardCharsets.US_ASCII).trim();
            if (!id.matches("h-[0-9a-f]{12}")) {
                throw new IOException(file + " does not hold a host id (h- and 12 hex digits): remove it to make a new one");
            }
            return new HostIdentity(dir, id);
        }
        byte[] b = new byte[6];
        new SecureRandom().nextBytes(b);
        String id = "h-" + HexFormat.of().formatHex(b);
        write(file, id);
        return new HostIdentity(dir, id);
    }

    public String id() {
        return id;
    }

    Optional<Long> lastLease() {
        try {
            String s = Files.readString(dir.resolve("lease"), StandardCharsets.US_ASCII).trim();
            return s.matches("-?[0-9]{1,20}") ? Optional.of(Long.parseLong(s)) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    void rememberLease(long lease) throws IOException {
        write(dir.resolve("lease"), String.valueOf(lease));
    }

    private static void write(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
