package io.scalebox.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.scalebox.guest.ExecSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class GuestRequestsTest {
    private static ExecSpec exec(String json) throws ApiException {
        return GuestRequests.exec(JsonParser.parseString(json).getAsJsonObject());
    }

    @Test
    void aCommandIsAnArgumentListOrOneShellString() throws Exception {
        ExecSpec s = exec("{\"command\":[\"ls\",\"-l\",\"a b\"]}");
        assertEquals(List.of("ls", "-l", "a b"), s.argv());
        assertEquals(Duration.ofSeconds(60), s.timeout());
        assertEquals(ExecSpec.DEFAULT_OUTPUT, s.maxOutputBytes());
        assertEquals(List.of("/bin/sh", "-c", "echo $HOME | wc"), exec("{\"command\":\"echo $HOME | wc\"}").argv());
    }

    @Test
    void everyFieldIsRead() throws Exception {
        ExecSpec s = exec("{\"command\":[\"cat\"],\"stdin_b64\":\"AP8=\",\"env\":{\"A_1\":\"x y\"},\"cwd\":\"/tmp\","
                + "\"user\":\"root\",\"timeout_ms\":1500,\"max_output_bytes\":0,\"output\":\"base64\",\"background\":true}");
        assertArrayEquals(new byte[] {0, (byte) 0xFF}, s.stdin().orElseThrow());
        assertEquals(Map.of("A_1", "x y"), s.env());
        assertEquals(Optional.of("/tmp"), s.cwd());
        assertEquals(Optional.of("root"), s.user());
        assertEquals(Duration.ofMillis(1500), s.timeout());
        assertEquals(0, s.maxOutputBytes());
        assertTrue(s.base64() && s.background());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"command\":null}", "{\"command\":[]}", "{\"command\":\" \"}", "{\"command\":[1]}",
        "{\"command\":[\"\"]}", "{\"command\":[\"A=b\",\"ls\"]}", "{\"command\":{\"x\":1}}", "{\"command\":[\"a\\u0000b\"]}",
        "{\"command\":\"ls\",\"stdin\":\"a\",\"stdin_b64\":\"YQ==\"}", "{\"command\":\"ls\",\"stdin_b64\":\"*\"}",
        "{\"command\":\"ls\",\"env\":[]}", "{\"command\":\"ls\",\"env\":{\"A-B\":\"x\"}}", "{\"command\":\"ls\",\"env\":{\"A\":1}}",
        "{\"command\":\"ls\",\"cwd\":\"tmp\"}", "{\"command\":\"ls\",\"user\":\"Root\"}", "{\"command\":\"ls\",\"user\":\"a;b\"}",
        "{\"command\":\"ls\",\"timeout_ms\":0}", "{\"command\":\"ls\",\"timeout_ms\":1.5}", "{\"command\":\"ls\",\"timeout_ms\":\"9\"}",
        "{\"command\":\"ls\",\"timeout_ms\":3600001}", "{\"command\":\"ls\",\"max_output_bytes\":-1}",
        "{\"command\":\"ls\",\"max_output_bytes\":16777217}", "{\"command\":\"ls\",\"output\":\"hex\"}",
        "{\"command\":\"ls\",\"background\":\"yes\"}", "{\"command\":\"ls\",\"extra\":1}"})
    void mistakesAre400NamingTheField(String json) {
        ApiException e = assertThrows(ApiException.class, () -> exec(json));
        assertEquals(400, e.status(), json);
        assertTrue(e.code().equals("invalid_field") || e.code().equals("missing_field") || e.code().equals("invalid_path"),
                e.code());
    }

    @Test
    void stdinOverOneMebibyteIs413() {
        JsonObject o = new JsonObject();
        o.addProperty("command", "cat");
        o.addProperty("stdin", "x".repeat(GuestRequests.MAX_STDIN + 1));
        assertEquals(413, assertThrows(ApiException.class, () -> GuestRequests.exec(o)).status());
    }

    @Test
    void pathsModesOwnersAndFlags() throws Exception {
        assertEquals("/a b/ü", GuestRequests.path("/a b/ü", "path"));
        for (String bad : new String[] {null, "", "rel", "/a\0b", "/" + "x".repeat(GuestRequests.MAX_PATH)}) {
            assertEquals("invalid_path", assertThrows(ApiException.class, () -> GuestRequests.path(bad, "path")).code());
        }
        assertEquals("0644", GuestRequests.mode(Optional.empty()));
        assertEquals("4755", GuestRequests.mode(Optional.of("4755")));
        assertThrows(ApiException.class, () -> GuestRequests.mode(Optional.of("0888")));
        assertThrows(ApiException.class, () -> GuestRequests.mode(Optional.of("u+x")));
        assertEquals("user", GuestRequests.owner(Optional.empty()));
        assertEquals("1000:1000", GuestRequests.owner(Optional.of("1000:1000")));
        assertEquals("www-data:adm", GuestRequests.owner(Optional.of("www-data:adm")));
        assertThrows(ApiException.class, () -> GuestRequests.owner(Optional.of("root;reboot")));
        assertThrows(ApiException.class, () -> GuestRequests.owner(Optional.of("root:1000:x")));
        assertTrue(GuestRequests.flag(Optional.of("true"), "mkdir"));
        assertThrows(ApiException.class, () -> GuestRequests.flag(Optional.of("yes"), "mkdir"));
        assertEquals(7, GuestRequests.queryLong(Optional.of("7"), "n", 1, 10));
        assertThrows(ApiException.class, () -> GuestRequests.queryLong(Optional.of("11"), "n", 1, 10));
        assertThrows(ApiException.class, () -> GuestRequests.queryLong(Optional.of("-1"), "n", 1, 10));
    }
}
