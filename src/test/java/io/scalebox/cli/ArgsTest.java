package io.scalebox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ArgsTest {
    private static Args parse(String... argv) throws CliException {
        return Args.parse("vm create", List.of(argv), Set.of("--ssh"), Set.of("--name", "--vcpus"),
                Map.of("-n", "--name"));
    }

    @Test
    void optionsInEveryFormAndTheRestAfterDoubleDash() throws Exception {
        Args a = parse("vm1", "-n", "web", "--vcpus=2", "--ssh", "--", "echo", "--name");
        assertEquals(Optional.of("web"), a.value("--name"));
        assertEquals(Optional.of(2), a.integer("--vcpus", 1, 32));
        assertTrue(a.has("--ssh"));
        assertEquals(List.of("vm1"), a.positionals());
        assertEquals(List.of("echo", "--name"), a.rest());
    }

    @Test
    void mistakesAreUsageErrorsNamingTheOption() {
        assertEquals("unknown option '--bogus' for 'vm create'",
                assertThrows(CliException.class, () -> parse("--bogus")).getMessage());
        assertEquals("option --name of 'vm create' needs a value",
                assertThrows(CliException.class, () -> parse("--name")).getMessage());
        assertEquals("option --ssh of 'vm create' takes no value",
                assertThrows(CliException.class, () -> parse("--ssh=yes")).getMessage());
        assertEquals("--vcpus must be a whole number from 1 to 32, got '0'",
                assertThrows(CliException.class, () -> parse("--vcpus", "0").integer("--vcpus", 1, 32)).getMessage());
        assertEquals("'vm get' takes <VM>, got: a b",
                assertThrows(CliException.class, () -> parse("a", "b").expect("vm get", "VM")).getMessage());
    }

    @Test
    void remoteCommandsAreQuotedForTheRemoteShell() {
        assertEquals("echo 'two words' 'it'\\''s' '' plain-1.0:x", GuestAccess.shellJoin(
                List.of("echo", "two words", "it's", "", "plain-1.0:x")));
    }

    @Test
    void tokensAreMasked() {
        assertEquals("sb-1…cdef", SessionCommands.mask("sb-1234567890abcdef"));
        assertEquals("****", SessionCommands.mask("short"));
    }

    @Test
    void aRepeatedOptionKeepsEveryValueInOrder() throws Exception {
        Args a = parse("-n", "a", "--name=b", "-n", "c");
        assertEquals(List.of("a", "b", "c"), a.values("--name"));
        assertEquals(Optional.of("c"), a.value("--name"), "value() is the last one");
        assertEquals(List.of(), a.values("--vcpus"));
    }

    @Test
    void remotePathsAreVmColonAbsolutePath() {
        assertEquals(new GuestCommands.Remote("dev", "/etc/hosts"), GuestCommands.Remote.of("dev:/etc/hosts"));
        for (String local : List.of("./dev:/x", "/abs/dev:/x", "dev:relative", "plain", ":/x", "dev:")) {
            assertEquals(null, GuestCommands.Remote.of(local), local);
        }
    }
}
