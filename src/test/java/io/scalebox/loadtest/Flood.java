package io.scalebox.loadtest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A hostile client for the load test (scripts/test/load.sh), on one thread:
 * {@code Flood idle|slowloris HOST PORT COUNT SOURCE_ADDRESS SECONDS} opens COUNT connections
 * from SOURCE_ADDRESS and holds them for SECONDS; "slowloris" sends an HTTP request one header
 * line every 5 s and never finishes it. Prints a progress line every second and, at the end,
 * how many connected and how many the server closed. Bounded in count and time; it only
 * talks to the address it is given.
 */
public final class Flood {
    private Flood() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 6 || !(args[0].equals("idle") || args[0].equals("slowloris"))) {
            System.err.println("usage: Flood idle|slowloris HOST PORT COUNT SOURCE_ADDRESS SECONDS");
            System.exit(64);
        }
        boolean slow = args[0].equals("slowloris");
        InetSocketAddress target = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        int count = Math.min(Integer.parseInt(args[3]), 20_000);
        InetSocketAddress source = new InetSocketAddress(args[4], 0);
        long end = System.currentTimeMillis() + Math.min(Long.parseLong(args[5]), 600) * 1000;
        Selector selector = Selector.open();
        List<SocketChannel> channels = new ArrayList<>();
        int failed = 0;
        for (int i = 0; i < count; i++) {
            try {
                SocketChannel ch = SocketChannel.open();
                ch.configureBlocking(false);
                ch.bind(source);
                ch.connect(target);
                ch.register(selector, SelectionKey.OP_CONNECT);
                channels.add(ch);
            } catch (IOException e) {
                failed++;
            }
        }
        int connected = 0;
        int closedByServer = 0;
        long nextLine = 0;
        long nextProgress = 0;
        ByteBuffer sink = ByteBuffer.allocate(4096);
        while (System.currentTimeMillis() < end) {
            selector.select(500);
            for (SelectionKey key : selector.selectedKeys()) {
                SocketChannel ch = (SocketChannel) key.channel();
                try {
                    if (key.isConnectable() && ch.finishConnect()) {
                        connected++;
                        key.interestOps(SelectionKey.OP_READ);
                        if (slow) {
                            ch.write(StandardCharsets.US_ASCII.encode("GET /health HTTP/1.1\r\nHost: x\r\n"));
                        }
                    } else if (key.isReadable()) {
                        sink.clear();
                        if (ch.read(sink) < 0) {
                            closedByServer++;
                            key.cancel();
                            ch.close();
                        }
                    }
                } catch (IOException e) {
                    closedByServer++;
                    key.cancel();
                    ch.close();
                }
            }
            selector.selectedKeys().clear();
            if (System.currentTimeMillis() >= nextProgress) {
                nextProgress = System.currentTimeMillis() + 1000;
                System.out.println("progress connected=" + connected + " closed=" + closedByServer);
                System.out.flush();
            }
            if (slow && System.currentTimeMillis() >= nextLine) {
                nextLine = System.currentTimeMillis() + 5000;
                for (SocketChannel ch : channels) {
                    if (ch.isConnected() && ch.isOpen()) {
                        try {
                            ch.write(StandardCharsets.US_ASCII.encode("X-Slow: 1\r\n"));
                        } catch (IOException e) {
                            // closed by the server: counted when read
                        }
                    }
                }
            }
        }
        for (SocketChannel ch : channels) {
            ch.close();
        }
        System.out.println("flood " + args[0] + ": " + count + " tried, " + connected + " connected, "
                + closedByServer + " closed by the server, " + failed + " failed locally");
    }
}
