package io.scalebox.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelStoreTest {
    @TempDir
    Path dir;
    GuestKernel latest;

    @BeforeEach
    void built() throws IOException {
        latest = new GuestKernel(dir.resolve("vmlinux"), Optional.of(dir.resolve("initrd.img")));
        for (String v : new String[] {"6.12.1-cloud", "6.12.2-cloud"}) {
            Files.createDirectories(dir.resolve(v));
            Files.writeString(dir.resolve(v).resolve("vmlinux"), v);
            Files.writeString(dir.resolve(v).resolve("initrd.img"), v);
        }
    }

    @Test
    void aTemplateBootsTheKernelItWasBuiltWith() {
        GuestKernel k = new KernelStore(dir, latest).forVersion("6.12.1-cloud");
        assertEquals(dir.resolve("6.12.1-cloud/vmlinux"), k.kernel());
        assertEquals(Optional.of(dir.resolve("6.12.1-cloud/initrd.img")), k.initrd());
    }

    @Test
    void unknownMissingOrOddVersionsBootTheConfiguredKernel() throws IOException {
        KernelStore store = new KernelStore(dir, latest);
        assertEquals(latest, store.forVersion(null));
        assertEquals(latest, store.forVersion("6.13.0-gone"));
        assertEquals(latest, store.forVersion("../../etc"));
        Files.delete(dir.resolve("6.12.2-cloud/initrd.img"));
        assertEquals(latest, store.forVersion("6.12.2-cloud"));
    }

    @Test
    void anOperatorsOwnKernelPathAppliesToEveryVm() {
        GuestKernel own = new GuestKernel(Path.of("/opt/kernels/vmlinux"), Optional.empty());
        assertEquals(own, new KernelStore(dir, own).forVersion("6.12.1-cloud"));
    }

    @Test
    void snapshotMetadataCarriesTheKernelOn() throws IOException {
        TemplateStore templates = new TemplateStore(dir);
        assertEquals(Optional.empty(), templates.kernelVersion("app"));
        templates.writeMetadata("app", "vm-0123456789ab", 0, "6.12.1-cloud");
        assertEquals(Optional.of("6.12.1-cloud"), templates.kernelVersion("app"));
        templates.writeMetadata("plain", "vm-0123456789ab", 0, null);
        assertEquals(Optional.empty(), templates.kernelVersion("plain"));
        Files.writeString(dir.resolve("broken.json"), "{not json");
        assertEquals(Optional.empty(), templates.kernelVersion("broken"));
        assertEquals(0, templates.partials().size());
    }
}
