package io.scalebox.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
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

    @Test
    void aDeviceClosedByItsModeGetsAnAclEntryForTheAccountAlone(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setfacl")), "the acl package is installed");
        Account me = Account.lookup(System.getProperty("user.name"));
        Path device = Files.createFile(dir.resolve("tun"));
        Files.setPosixFilePermissions(device, PosixFilePermissions.fromString("rw-------"));
        me.grantDevice(device);
        me.grantDevice(device); // again at the next start: the same single entry
        List<String> acl = Command.run(List.of("getfacl", "--omit-header", "--absolute-names", device.toString()),
                Duration.ofSeconds(10)).lines().filter(l -> !l.isBlank()).toList();
        assertEquals(List.of("user::rw-", "user:" + me.name() + ":rw-", "group::---", "mask::rw-", "other::---"), acl);
    }
}
