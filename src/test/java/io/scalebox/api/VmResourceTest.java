package io.scalebox.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class VmResourceTest {
    @Test
    void lastLinesCountsFromTheEnd() {
        assertEquals("b\nc\n", VmResource.lastLines("a\nb\nc\n", 2));
        assertEquals("c", VmResource.lastLines("a\nb\nc", 1));
        assertEquals("a\nb\nc\n", VmResource.lastLines("a\nb\nc\n", 5));
        assertEquals("", VmResource.lastLines("", 3));
        assertEquals("\n", VmResource.lastLines("a\n\n", 1));
    }
}
