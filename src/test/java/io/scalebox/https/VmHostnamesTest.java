package io.scalebox.https;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class VmHostnamesTest {
    private final VmHostnames names = new VmHostnames(Optional.of("vms.example.com"));

    @Test
    void oneLabelInFrontOfTheBaseDomainIsAVmName() {
        assertEquals(Optional.of("alpha"), names.vmName("alpha.vms.example.com"));
        assertEquals(Optional.of("alpha"), names.vmName("ALPHA.Vms.Example.COM"));
        assertEquals(Optional.empty(), names.vmName("a.b.vms.example.com"));
        assertEquals(Optional.empty(), names.vmName(".vms.example.com"));
        assertEquals(Optional.empty(), names.vmName("vms.example.com"));
        assertEquals(Optional.empty(), names.vmName("alpha.vms.example.com.evil.net"));
        assertEquals(Optional.empty(), names.vmName("alphavms.example.com"));
        assertEquals(Optional.empty(), names.vmName(null));
        assertEquals(Optional.empty(), new VmHostnames(Optional.empty()).vmName("alpha.vms.example.com"));
    }

    @Test
    void aHostHeaderMayCarryAPort() {
        assertEquals(Optional.of("alpha"), names.fromHostHeader("alpha.vms.example.com:443"));
        assertEquals(Optional.of("alpha"), names.fromHostHeader("alpha.vms.example.com"));
        assertEquals(Optional.empty(), names.vmName("alpha.vms.example.com:443"));
        assertEquals(Optional.empty(), names.fromHostHeader(null));
    }
}
