package io.scalebox.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keys are read by OpenSSH's own ssh-keygen as sshd would read them. */
class HostKeyTest {
    @TempDir
    Path dir;

    @Test
    void opensshReadsThePrivateKeyAndDerivesTheSamePublicKeyAndFingerprint() throws Exception {
        HostKey key = HostKey.generate();
        Path file = dir.resolve("ssh_host_ed25519_key");
        Files.writeString(file, key.privateKey());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertEquals(key.publicKey(), run("ssh-keygen", "-y", "-f", file.toString()));
        Files.writeString(dir.resolve("k.pub"), key.publicKey() + "\n");
        String listed = run("ssh-keygen", "-l", "-f", dir.resolve("k.pub").toString());
        assertEquals(key.fingerprint(), listed.split(" ")[1], listed);
    }

    @Test
    void eachKeyIsNewAndItsTextNamesNoSecret() {
        HostKey a = HostKey.generate();
        HostKey b = HostKey.generate();
        assertNotEquals(a.publicKey(), b.publicKey());
        assertFalse(a.toString().contains("PRIVATE"));
    }

    private static String run(String... argv) throws Exception {
        Process p = new ProcessBuilder(List.of(argv)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(0, p.waitFor(), out);
        return out;
    }
}
