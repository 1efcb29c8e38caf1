package io.scalebox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.scalebox.config.Config;
import io.scalebox.config.ConfigParser;
import io.scalebox.network.AddressPool;
import io.scalebox.network.PortPool;
import io.scalebox.storage.GuestKernel;
import io.scalebox.storage.KernelStore;
import io.scalebox.storage.TemplateStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A VM engine on {@link FakeHost} in a temporary DATA_DIR: no root, no QEMU, seconds. */
abstract class EngineTest {
    static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHaJlmHbo3Zy2g3T13HNly0d1CTFjLi/MZbth8DdVHpU test";

    @TempDir
    Path data;
    FakeHost fake;
    Config config;
    VmStore store;
    TemplateStore templates;

    @BeforeEach
    void setUpEngine() throws Exception {
        fake = new FakeHost();
        Files.createDirectories(data.resolve("templates"));
        Files.createDirectories(data.resolve("vms"));
        Files.createDirectories(data.resolve("kernel"));
        Files.write(data.resolve("kernel/vmlinux"), new byte[16]);
        Files.write(data.resolve("templates/debian-base.ext4"), new byte[64 * 1024]);
        config = config(Map.of());
        store = new VmStore(config.vmsDir());
        templates = new TemplateStore(config.templatesDir());
    }

    Config config(Map<String, String> extra) throws Exception {
        Map<String, String> m = new HashMap<>(Map.of("API_TOKEN", "t".repeat(20), "DATA_DIR", data.toString(),
                "KERNEL_PATH", data.resolve("kernel/vmlinux").toString(), "BRIDGE_ADDRESS", "172.30.0.1/29",
                "PORT_MIN", "41000", "PORT_MAX", "41004", "DEFAULT_VCPU_COUNT", "1", "DEFAULT_MEM_SIZE_MIB", "256"));
        m.putAll(extra);
        return ConfigParser.parse(m);
    }

    /** A fresh engine on the same data after its start-up recovery, as after a daemon restart. */
    VmManager recovered(Config c) throws Exception {
        VmManager m = engine(c);
        m.recover();
        return m;
    }

    /** A fresh engine on the same data, as after a daemon restart. */
    VmManager engine() {
        return engine(config);
    }

    /** What the engine published, for the tests that look. */
    final io.scalebox.events.EventLog events = new io.scalebox.events.EventLog(java.time.Clock.systemUTC());
    /** What the engine measured. */
    final io.scalebox.metrics.Metrics metrics = new io.scalebox.metrics.Metrics();

    VmManager engine(Config c) {
        return new VmManager(c, fake.host(), store, templates, new KernelStore(data.resolve("kernel"),
                new GuestKernel(c.kernelPath(), c.initrdPath())), new AddressPool(c.bridgeAddress()),
                new PortPool(c.portMin(), c.portMax(), port -> true), () -> List.of("192.0.2.53"), events, metrics);
    }

    static CreateRequest request(String name) {
        return new CreateRequest("debian-base", SshPublicKey.parse(KEY), Optional.ofNullable(name), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    /** Nothing of any VM is left on the (fake) host or on disk. */
    void assertNothingLeft(VmManager m) throws Exception {
        assertEquals(List.of(), m.list(), "no VM listed");
        assertEquals(Set.of(), fake.taps, "no TAP");
        assertEquals(Set.of(), fake.live, "no hypervisor process");
        assertEquals(Set.of(), fake.openPorts, "no open port");
        try (Stream<Path> dirs = Files.list(config.vmsDir())) {
            assertEquals(List.of(), dirs.toList(), "no VM directory");
        }
    }

    static void assertReason(VmException.Reason reason, org.junit.jupiter.api.function.Executable call) {
        VmException e = assertThrows(VmException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
    }

    /** The refusal's code (and so its reason). */
    static void assertCode(ErrorCode code, org.junit.jupiter.api.function.Executable call) {
        VmException e = assertThrows(VmException.class, call);
        assertEquals(code, e.code(), e.getMessage());
    }
}
