package io.scalebox.network;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResolversTest {
    @TempDir
    Path tmp;

    @Test
    void skipsLoopbackAndIpv6AndKeepsTwo() throws IOException {
        Path conf = write("resolv.conf", """
                # comment
                nameserver 127.0.0.53
                nameserver ::1
                nameserver 2001:db8::1
                search example.org
                nameserver 10.0.0.2
                nameserver 10.0.0.2
                nameserver 192.0.2.53
                nameserver 198.51.100.1
                """);
        assertEquals(List.of("10.0.0.2", "192.0.2.53"), new Resolvers(List.of(conf)).nameservers());
    }

    @Test
    void prefersResolvedUpstreamsOverItsStub() throws IOException {
        Path upstream = write("upstream.conf", "nameserver 192.0.2.1\n");
        Path stub = write("stub.conf", "nameserver 127.0.0.53\n");
        assertEquals(List.of("192.0.2.1"), new Resolvers(List.of(upstream, stub)).nameservers());
        assertEquals(List.of("192.0.2.1"), new Resolvers(List.of(tmp.resolve("missing"), stub, upstream)).nameservers());
    }

    @Test
    void noUsableServerGivesNone() throws IOException {
        Path stub = write("stub.conf", "nameserver 127.0.0.53\nnameserver 0.0.0.0\nnameserver not-an-ip\n");
        assertEquals(List.of(), new Resolvers(List.of(stub, tmp.resolve("missing"))).nameservers());
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(tmp.resolve(name), text);
    }
}
