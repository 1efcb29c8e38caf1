package io.scalebox.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One way of reading /etc/scalebox/config: the shell's conf_get (maintainer scripts, template
 * builder) gives what EnvFile (daemon, CLI) gives, on a fixture with every form an operator
 * may write, and every shell copy is the canonical one.
 */
class ConfigReaderParityTest {
    private static final Path FIXTURE = Path.of("src/test/resources/config-parity.conf");
    private static final Path CANONICAL = Path.of("scripts/conf-get.sh");

    @Test
    void shellAndJavaReadTheSameValues() throws Exception {
        Map<String, String> java = EnvFile.read(FIXTURE);
        List<String> keys = List.of("API_PORT", "API_BIND", "DATA_DIR", "KERNEL_PATH", "INITRD_PATH", "BASE_DOMAIN",
                "HOST_IP", "BRIDGE_NAME", "BRIDGE_ADDRESS", "PROTECTED_TEMPLATES", "LOG_LEVEL", "QEMU_ACCEL",
                "PORT_MIN", "MISSING_KEY");
        for (String key : keys) {
            assertEquals(java.getOrDefault(key, ""), shell(key), key);
        }
        assertEquals("sbbr1", shell("BRIDGE_NAME"), "the last assignment wins");
        assertEquals("/srv/k/vmlinux", shell("KERNEL_PATH"));
    }

    private static String shell(String key) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-c", ". ./" + CANONICAL + "; conf_get \"$1\" \"$2\"", "sh", key,
                FIXTURE.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out.endsWith("\n") ? out.substring(0, out.length() - 1) : out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"debian/control/postinst", "debian/control/postrm", "scripts/build-template",
            "scripts/scalebox-generator"})
    void everyShellCopyIsTheCanonicalOne(String script) throws IOException {
        String canonical = Files.readString(CANONICAL);
        assertTrue(Files.readString(Path.of(script)).contains(canonical), script + " carries scripts/conf-get.sh verbatim");
    }
}
