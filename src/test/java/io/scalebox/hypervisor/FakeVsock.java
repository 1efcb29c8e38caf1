package io.scalebox.hypervisor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * FakeFirecracker's vsock device after {@code PUT /vsock}: it binds {@code uds_path} as Firecracker
 * does and answers the host's {@code CONNECT <port>} as Firecracker's docs/vsock.md describe:
 * {@code OK <host port>} when the guest listens on the port (here only {@code listening}), else
 * it closes the connection.
 */
final class FakeVsock {
    private FakeVsock() {
    }

    static void serve(Path udsPath, int listening) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(udsPath));
        Thread t = new Thread(() -> {
            while (server.isOpen()) {
                try (SocketChannel c = server.accept()) {
                    String hello = line(Channels.newInputStream(c));
                    if (hello.equals("CONNECT " + listening)) {
                        c.write(ByteBuffer.wrap("OK 1073741824\n".getBytes(StandardCharsets.US_ASCII)));
                        Channels.newInputStream(c).read(); // held until the host closes it
                    }
                } catch (IOException e) {
                    // the host went
                }
            }
        }, "fake-vsock");
        t.setDaemon(true);
        t.start();
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c >= 0 && c != '\n' && b.size() < 64; c = in.read()) {
            b.write(c);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }
}
