package io.scalebox.hypervisor;

import io.scalebox.host.Account;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The user running the tests as the hypervisors' account: owning files needs no privilege then. */
final class TestAccount {
    private TestAccount() {
    }

    static Account current() {
        try {
            return Account.lookup(System.getProperty("user.name"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
