package io.scalebox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The only key lines that may reach a guest's authorized_keys. */
class SshPublicKeyTest {
    static final String ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIHaJlmHbo3Zy2g3T13HNly0d1CTFjLi/MZbth8DdVHpU";

    @Test
    void aKeyLineWithOrWithoutCommentIsAccepted() {
        assertEquals("ssh-ed25519 " + ED25519, SshPublicKey.parse("ssh-ed25519 " + ED25519).line());
        assertEquals("ssh-ed25519 " + ED25519 + " me@host", SshPublicKey.parse(" ssh-ed25519 " + ED25519 + " me@host\t").line());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "hello", "ssh-ed25519", "ssh-dss AAAAB3NzaC1kc3M=",
        "command=\"/bin/sh\" ssh-ed25519 " + ED25519, "ssh-ed25519 " + ED25519 + "\nssh-ed25519 " + ED25519,
        "ssh-ed25519 " + ED25519 + " comment\u0007bell", "ssh-ed25519 !!!!", "ssh-rsa " + ED25519,
        "ssh-ed25519 AAAA", "ssh-ed25519 /////w=="})
    void everythingElseIsRefused(String text) {
        assertThrows(IllegalArgumentException.class, () -> SshPublicKey.parse(text));
    }

    @Test
    void overlongInputIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> SshPublicKey.parse("ssh-ed25519 " + ED25519 + " " + "x".repeat(20_000)));
    }

    @Test
    void theConstructorKeepsTheRule() {
        assertThrows(IllegalArgumentException.class, () -> new SshPublicKey("hello"));
    }
}
