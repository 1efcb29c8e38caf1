package io.scalebox.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostIdentityTest {
    @TempDir
    Path data;

    @Test
    void madeOnceThenKept() throws IOException {
        HostIdentity first = HostIdentity.load(data);
        assertTrue(first.id().matches("h-[0-9a-f]{12}"), first.id());
        assertEquals(first.id(), HostIdentity.load(data).id());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("fleet"))));
    }

    @Test
    void aDamagedIdIsRefusedWithTheWayOut() throws IOException {
        Files.createDirectories(data.resolve("fleet"));
        Files.writeString(data.resolve("fleet/host-id"), "../../etc\n");
        IOException e = assertThrows(IOException.class, () -> HostIdentity.load(data));
        assertTrue(e.getMessage().contains("remove it"), e.getMessage());
    }

    @Test
    void theLastLeaseIsRemembered() throws IOException {
        HostIdentity id = HostIdentity.load(data);
        assertEquals(Optional.empty(), id.lastLease());
        id.rememberLease(7587899407042651141L);
        assertEquals(Optional.of(7587899407042651141L), HostIdentity.load(data).lastLease());
    }
}
