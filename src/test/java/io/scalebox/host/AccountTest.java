package io.scalebox.host;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccountTest {
    @Test
    void aDeviceIsOpenToTheAccountByItsMode(@TempDir Path dir) throws IOException {
        Account me = Account.lookup(System.getProperty("user.name"));
        Path device = Files.createFile(dir.resolve("tun"));
        Files.setPosixFilePermissions(device, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertTrue(me.mayOpen(device));
        assertFalse(me.mayOpen(dir.resolve("missing")));
        // Owned by the account itself: open to it whatever the others' bits say.
        Files.setPosixFilePermissions(device, PosixFilePermissions.fromString("rw-------"));
        assertTrue(me.mayOpen(device));
    }
}
