package io.scalebox.host;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One HTTP/1.1 request with a JSON body over a connected socket (Unix or loopback) to a local
 * control API (Firecracker's, Caddy's admin endpoint), then its reply: status and body,
 * sized by Content-Length, chunked, or to the end of the connection. Bounded: header lines
 * 8 KiB, bodies 16 MiB.
 */
public final class LocalHttp {
    private static final int MAX_BODY = 16 << 20;

    /** A reply's status and body. */
    public record Reply(int status, String body) {
        public boolean ok() {
            return status >= 200 && status <= 299;
        }
    }

    private LocalHttp() {
    }

    public static Reply exchange(OutputStream out, InputStream in, String method, String path, String host,
                                 String jsonBody) throws IOException {
        byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
        String head = method + " " + path + " HTTP/1.1\r\n"
                + "Host: " + host + "\r\n"
                + "Accept: application/json\r\n"
                + (jsonBody == null ? "" : "Content-Type: application/json\r\n")
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: close\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        return read(in);
    }

    static Reply read(InputStream in) throws IOException {
        String status = line(in);
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: " + status);
        }
        int code;
        try {
            code = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("bad status line: " + status);
        }
        int length = -1;
        boolean chunked = false;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            if (name.equals("content-length")) {
                length = Integer.parseInt(value);
            } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                chunked = true;
            }
        }
        byte[] body;
        if (chunked) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int size = Integer.parseInt(line(in).split(";")[0].trim(), 16); size > 0;
                 size = Integer.parseInt(line(in).split(";")[0].trim(), 16)) {
                if (out.size() + size > MAX_BODY) {
                    throw new IOException("response body over " + MAX_BODY + " bytes");
                }
                out.write(in.readNBytes(size));
                line(in);
            }
            body = out.toByteArray();
        } else if (length >= 0) {
            if (length > MAX_BODY) {
                throw new IOException("response body over " + MAX_BODY + " bytes");
            }
            body = in.readNBytes(length);
        } else {
            body = in.readNBytes(MAX_BODY);
        }
        return new Reply(code, new String(body, StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed mid-response");
            }
            if (c != '\r') {
                b.write(c);
            }
            if (b.size() > 8192) {
                throw new IOException("response header line too long");
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }
}
