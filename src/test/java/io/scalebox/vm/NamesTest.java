package io.scalebox.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NamesTest {
    final Names names = new Names();

    @Test
    void idsAreVmDash12Hex() {
        for (int i = 0; i < 100; i++) {
            assertTrue(names.newId().matches("vm-[0-9a-f]{12}"));
        }
    }

    @Test
    void namesAreThreeWordDnsLabelsFromALargeSpace() {
        assertTrue(Names.combinations() >= 100_000, "combinations: " + Names.combinations());
        for (int i = 0; i < 200; i++) {
            String n = names.newName(x -> false);
            assertTrue(n.matches("[a-z]+-[a-z]+-[a-z]+") && n.length() <= 63, n);
        }
    }

    @Test
    void takenNamesAreAvoided() {
        Set<String> taken = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            assertTrue(taken.add(names.newName(taken::contains)));
        }
    }

    @Test
    void macIsLocallyAdministeredUnicastFromTheId() {
        String mac = Lifecycle.mac("vm-a1b2c3d4e5f6");
        assertEquals("02:a1:b2:c3:d4:e5", mac);
        int first = Integer.parseInt(mac.substring(0, 2), 16);
        assertEquals(2, first & 3, "locally administered (bit 1) and unicast (bit 0 clear)");
        assertNotEquals(mac, Lifecycle.mac("vm-0011223344ff"));
    }
}
