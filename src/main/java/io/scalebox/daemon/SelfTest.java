package io.scalebox.daemon;

import io.scalebox.config.Config;
import io.scalebox.config.ConfigParser;
import java.io.IOException;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** {@code scaleboxd --self-test}: the daemon on a loopback port, queried and stopped (trains the CDS archive). */
final class SelfTest {
    private SelfTest() {
    }

    /** Starts on an ephemeral loopback port with a throw-away token and data directory, queries it, stops. */
    static int run(PrintStream out, PrintStream err) {
        Path data = null;
        Daemon daemon = null;
        try {
            data = Files.createTempDirectory("scaleboxd-selftest");
            String token = HexFormat.of().formatHex(randomBytes());
            Config config = ConfigParser.parse(Map.of("API_TOKEN", token, "API_BIND", "127.0.0.1",
                    "DATA_DIR", data.toString(), "HOST_IP", "127.0.0.1"));
            daemon = new Daemon(config, 0, false);
            daemon.start();
            // HttpURLConnection: java.net.http is a module the bundled runtime does not carry.
            for (String path : List.of("/health", "/info", "/nope")) {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + daemon.port() + path)
                        .toURL().openConnection();
                c.setRequestProperty("Authorization", "Bearer " + token);
                int expected = path.equals("/nope") ? 404 : 200;
                int status = c.getResponseCode();
                try (var in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                    in.readAllBytes();
                }
                if (status != expected) {
                    err.println("self-test: GET " + path + " answered " + status + ", expected " + expected);
                    return 1;
                }
            }
            out.println("self-test: ok");
            return 0;
        } catch (Exception e) {
            err.println("self-test failed: " + e);
            return 1;
        } finally {
            if (daemon != null) {
                daemon.stop();
            }
            deleteTree(data);
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp directory; nothing more to do
        }
    }
}
