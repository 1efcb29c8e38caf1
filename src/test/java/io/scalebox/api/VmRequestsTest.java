package io.scalebox.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.scalebox.config.Config;
import io.scalebox.config.ConfigParser;
import io.scalebox.vm.CreateRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Request bodies of the VM endpoints: every bad one is a 400 with a message naming what is wrong. */
class VmRequestsTest {
    static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHaJlmHbo3Zy2g3T13HNly0d1CTFjLi/MZbth8DdVHpU test";
    private final VmRequests requests;

    VmRequestsTest() throws Exception {
        Config config = ConfigParser.parse(Map.of("API_TOKEN", "t".repeat(20), "MAX_DISK_SIZE_GIB", "65536"));
        requests = new VmRequests(config);
    }

    private static Request body(String json) {
        return new Request(Map.of(), Map.of(), json.getBytes(StandardCharsets.UTF_8));
    }

    private CreateRequest create(String json) throws ApiException {
        return requests.create(body(json.replace("KEY", KEY)).jsonObject());
    }

    @Test
    void aFullRequestIsRead() throws Exception {
        CreateRequest r = create("{\"template\":\"debian-base\",\"ssh_public_key\":\"  KEY \",\"name\":\"ci-1\","
                + "\"vcpu_count\":2,\"mem_size_mib\":512.0,\"disk_size_gib\":20}");
        assertEquals("debian-base", r.template());
        assertEquals(KEY, r.sshPublicKey().line(), "surrounding white space dropped");
        assertEquals(Optional.of("ci-1"), r.name());
        assertEquals(Optional.of(2), r.vcpuCount());
        assertEquals(Optional.of(512), r.memSizeMib());
        assertEquals(Optional.of(20), r.diskSizeGib());
    }

    @Test
    void optionalFieldsMayBeAbsentNullOrEmpty() throws Exception {
        CreateRequest r = create("{\"template\":\"t\",\"ssh_public_key\":\"KEY\",\"name\":\"\",\"vcpu_count\":null}");
        assertEquals(Optional.empty(), r.name());
        assertEquals(Optional.empty(), r.vcpuCount());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "missing template|{\"ssh_public_key\":\"KEY\"}|template is required",
        "template as number|{\"template\":5,\"ssh_public_key\":\"KEY\"}|template must be a string",
        "template traversal|{\"template\":\"../../etc/passwd\",\"ssh_public_key\":\"KEY\"}|Invalid template name",
        "missing key|{\"template\":\"debian-base\"}|ssh_public_key is required",
        "key with newline|{\"template\":\"t\",\"ssh_public_key\":\"KEY\\nssh-ed25519 AAAA x\"}|"
                + "ssh_public_key must be one OpenSSH public key line",
        "key with command= option|{\"template\":\"t\",\"ssh_public_key\":\"command=\\\"/bin/sh\\\" KEY\"}|"
                + "ssh_public_key must be one OpenSSH public key line",
        "key type mismatch|{\"template\":\"t\",\"ssh_public_key\":\"ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIHaJlmHbo3Zy2g3T13HNly0d1CTFjLi/MZbth8DdVHpU\"}|"
                + "ssh_public_key is not a valid ssh-rsa key",
        "truncated blob|{\"template\":\"t\",\"ssh_public_key\":\"ssh-ed25519 AAAA\"}|ssh_public_key is not a valid ssh-ed25519 key",
        "not a key|{\"template\":\"t\",\"ssh_public_key\":\"hello\"}|ssh_public_key must be one OpenSSH public key line",
        "name with traversal|{\"template\":\"t\",\"ssh_public_key\":\"KEY\",\"name\":\"../x\"}|Invalid name",
        "name with injection|{\"template\":\"t\",\"ssh_public_key\":\"KEY\",\"name\":\"a;rm -rf /\"}|Invalid name",
        "name uppercase|{\"template\":\"t\",\"ssh_public_key\":\"KEY\",\"name\":\"Alpha\"}|Invalid name",
        "name ending in a dash|{\"template\":\"t\",\"ssh_public_key\":\"KEY\",\"name\":\"a-\"}|Invalid name",
        "vcpu_count 0|{\"template\":\"t\",\"ssh_public_key\":\"KEY\",\"vcpu_count\":0}|vcpu_count must be between 1 and 32",
        "vcpu_count 33|{\"template\":\"t\",\"ssh_public_key\":\"KEY\",\"vcpu_count\":33}|vcpu_count must be between 1 and 32",
        "vcpu_count 1.5|{\"template\":\"t\",\"ssh_public_key\":\"KEY\",\"vcpu_count\":1.5}|vcpu_count must be an integer",
        "mem as string|{\"template\":\"t\",\"ssh_public_key\":\"KEY\",\"mem_size_mib\":\"2048\"}|mem_size_mib must be an integer",
        "mem 64|{\"template\":\"t\",\"ssh_public_key\":\"KEY\",\"mem_size_mib\":64}|mem_size_mib must be between 128 and 65536",
        "disk 0|{\"template\":\"t\",\"ssh_public_key\":\"KEY\",\"disk_size_gib\":0}|disk_size_gib must be between 1 and 65536",
        "huge number|{\"template\":\"t\",\"ssh_public_key\":\"KEY\",\"disk_size_gib\":1e30}|disk_size_gib must be between 1 and 65536",
        "malformed JSON|{\"template\":|Malformed JSON in request body",
        "JSON array|[1]|Request body must be a JSON object",
    })
    void badBodiesAreRefusedWithTheirReason(String what, String json, String message) {
        ApiException e = assertThrows(ApiException.class, () -> create(json));
        assertEquals(400, e.status(), what);
        assertTrue(e.getMessage().startsWith(message), what + ": " + e.getMessage());
    }

    @Test
    void snapshotNameIsRequiredAndChecked() throws Exception {
        assertEquals("my-app_2", VmRequests.snapshotName(body("{\"template_name\":\"my-app_2\"}").jsonObject()));
        ApiException missing = assertThrows(ApiException.class, () -> VmRequests.snapshotName(body("{}").jsonObject()));
        assertEquals("template_name is required", missing.getMessage());
        ApiException bad = assertThrows(ApiException.class,
                () -> VmRequests.snapshotName(body("{\"template_name\":\"a/b\"}").jsonObject()));
        assertEquals("Invalid template name. Use alphanumeric, dash, or underscore only.", bad.getMessage());
    }

    @Test
    void stopForcesOnlyWhenAskedTo() throws Exception {
        assertFalse(VmRequests.stopForce(body("").jsonObject()), "an empty body is a clean stop");
        assertFalse(VmRequests.stopForce(body("{\"force\":false}").jsonObject()));
        assertTrue(VmRequests.stopForce(body("{\"force\":true}").jsonObject()));
        ApiException e = assertThrows(ApiException.class,
                () -> VmRequests.stopForce(body("{\"force\":\"yes\"}").jsonObject()));
        assertEquals("force must be true or false", e.getMessage());
    }
}
