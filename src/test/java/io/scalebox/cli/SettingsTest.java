package io.scalebox.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
    @TempDir
    Path tmp;

    private Path system(String text) throws IOException {
        return Files.writeString(tmp.resolve("etc-config"), text);
    }

    private Map<String, String> env(String... kv) {
        java.util.HashMap<String, String> m = new java.util.HashMap<>();
        m.put("SCALEBOX_CONFIG_DIR", tmp.resolve("user").toString());
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void environmentBeatsUserFileBeatsServerFile() throws Exception {
        Path sys = system("API_PORT=9000\nAPI_TOKEN=sb-server-token-0000\n");
        Settings s = Settings.resolve(env(), sys);
        assertEquals("http://localhost:9000", s.host());
        assertEquals(Settings.Source.SYSTEM_CONFIG, s.tokenSource());

        Settings.saveUserFile(tmp.resolve("user"), "http://u:1", "sb-user-token-00000");
        s = Settings.resolve(env(), sys);
        assertEquals("http://u:1", s.host());
        assertEquals(Optional.of("sb-user-token-00000"), s.token());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(tmp.resolve("user/config"))));

        s = Settings.resolve(env("SCALEBOX_HOST", "https://e:2/", "SCALEBOX_TOKEN", "sb-env-token-000000"), sys);
        assertEquals("https://e:2", s.host());
        assertEquals(Settings.Source.ENVIRONMENT, s.tokenSource());
    }

    @Test
    void nothingConfiguredMeansLocalhostWithoutToken() throws Exception {
        Settings s = Settings.resolve(env(), tmp.resolve("missing"));
        assertEquals(Settings.DEFAULT_HOST, s.host());
        assertEquals(Optional.empty(), s.token());
    }

    @Test
    void serverFileFollowsItsBindAddress() {
        assertEquals("http://localhost:8080", Settings.localUrl(Map.of()));
        assertEquals("http://127.0.0.1:81", Settings.localUrl(Map.of("API_BIND", "127.0.0.1", "API_PORT", "81")));
        assertEquals("http://[::1]:8080", Settings.localUrl(Map.of("API_BIND", "::1")));
        assertEquals("http://localhost:8080", Settings.localUrl(Map.of("API_BIND", "0.0.0.0")));
    }

    @Test
    void badUrlsAreUsageErrors() {
        for (String bad : new String[] {"ftp://x", "localhost:8080", "http://", "http://h/?q=1"}) {
            CliException e = assertThrows(CliException.class, () -> Settings.checkUrl(bad, "SCALEBOX_HOST"), bad);
            assertEquals(Exit.USAGE, e.exit());
        }
    }
}
