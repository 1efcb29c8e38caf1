package io.scalebox.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The confinement an image tool gets; scripts/test (e2e, vm-systemd) runs it for real. */
class ToolSandboxTest {
    private static ToolSandbox sandbox(boolean systemd) throws IOException {
        return new ToolSandbox(Account.lookup(System.getProperty("user.name")), systemd, Path.of("/var/lib/scalebox"));
    }

    @Test
    void underSystemdOnlyTheImageIsWritableAndNothingElseIsReachable() throws IOException {
        Path image = Path.of("/var/lib/scalebox/vms/vm-0123456789ab/rootfs.ext4");
        Path key = image.resolveSibling(".rootfs.ext4.key");
        List<String> a = sandbox(true).unit(image, List.of(key), Duration.ofSeconds(60));
        String user = System.getProperty("user.name");
        assertEquals("systemd-run", a.get(0));
        assertEquals("--", a.get(a.size() - 1));
        assertTrue(a.containsAll(List.of("--wait", "--pipe", "--property=User=" + user,
                "--property=NoNewPrivileges=yes", "--property=CapabilityBoundingSet=",
                "--property=PrivateNetwork=yes", "--property=PrivateDevices=yes", "--property=ProtectSystem=strict",
                "--property=RestrictAddressFamilies=AF_UNIX", "--property=TemporaryFileSystem=/var/lib/scalebox:ro",
                "--property=BindPaths=" + image, "--property=BindReadOnlyPaths=" + key,
                "--property=MemoryMax=1G", "--property=RuntimeMaxSec=60")), a.toString());
    }

    @Test
    void withoutSystemdNamespacesLimitsAndTheAccount() throws IOException {
        List<String> a = sandbox(false).namespaces();
        String user = System.getProperty("user.name");
        assertEquals(List.of("unshare", "--net", "--ipc", "--uts", "--", "prlimit", "--as=4294967296", "--core=0",
                "--", "setpriv", "--reuid=" + user, "--regid=" + user, "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs", "--"), a);
    }

    @Test
    void aFailingToolIsNamedNotItsWrapper() throws IOException {
        // Runs for real without systemd: needs to be root for setpriv, so only the naming is checked when not.
        try {
            sandbox(false).run(List.of("false"), null, Path.of("/nonexistent"), List.of(), Duration.ofSeconds(10));
        } catch (CommandException e) {
            assertTrue(e.getMessage().startsWith("false "), e.getMessage());
            return;
        }
        throw new AssertionError("false succeeded");
    }
}
