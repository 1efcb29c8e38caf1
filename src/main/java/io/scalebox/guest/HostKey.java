package io.scalebox.guest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.interfaces.EdECPrivateKey;
import java.util.Arrays;
import java.util.Base64;

/**
 * An SSH host key made on the host (Ed25519, by the JDK: no child process, the host's random
 * source), in the two texts sshd reads: the private key in OpenSSH's own format, unencrypted
 * (PROTOCOL.key of OpenSSH), and the public key's line.
 */
public record HostKey(String privateKey, String publicKey, String fingerprint) {
    private static final String TYPE = "ssh-ed25519";
    private static final SecureRandom RANDOM = new SecureRandom();

    public static HostKey generate() {
        KeyPair pair;
        try {
            pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no Ed25519", e);
        }
        byte[] encoded = pair.getPublic().getEncoded(); // X.509: a fixed prefix, then the 32-byte key
        byte[] pub = Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
        byte[] seed = ((EdECPrivateKey) pair.getPrivate()).getBytes().orElseThrow();
        byte[] blob = new Writer().string(TYPE).bytes(pub).done();

        Writer secret = new Writer();
        int check = RANDOM.nextInt();
        secret.u32(check).u32(check).string(TYPE).bytes(pub);
        byte[] sk = new byte[64]; // OpenSSH keeps the seed and the public key together
        System.arraycopy(seed, 0, sk, 0, 32);
        System.arraycopy(pub, 0, sk, 32, 32);
        secret.bytes(sk).string("");
        Arrays.fill(sk, (byte) 0);
        Arrays.fill(seed, (byte) 0);
        for (int pad = 1; secret.size() % 8 != 0; pad++) {
            secret.raw(pad);
        }
        byte[] body = new Writer().rawBytes("openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII))
                .string("none").string("none").string("").u32(1).bytes(blob).bytes(secret.done()).done();
        String b64 = Base64.getEncoder().encodeToString(body);
        StringBuilder pem = new StringBuilder("-----BEGIN OPENSSH PRIVATE KEY-----\n");
        for (int i = 0; i < b64.length(); i += 70) {
            pem.append(b64, i, Math.min(b64.length(), i + 70)).append('\n');
        }
        pem.append("-----END OPENSSH PRIVATE KEY-----\n");
        String line = TYPE + " " + Base64.getEncoder().encodeToString(blob);
        return new HostKey(pem.toString(), line, fingerprint(blob));
    }

    /** As ssh-keygen -l shows it: SHA256 of the key's blob, base64 without padding. */
    private static String fingerprint(byte[] blob) {
        try {
            return "SHA256:" + Base64.getEncoder().withoutPadding()
                    .encodeToString(MessageDigest.getInstance("SHA-256").digest(blob));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "HostKey[" + fingerprint + "]"; // never the private key, should one be logged
    }

    /** SSH's wire encoding: big-endian uint32 and length-prefixed strings. */
    private static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Writer u32(int v) {
            out.write(v >>> 24);
            out.write(v >>> 16);
            out.write(v >>> 8);
            out.write(v);
            return this;
        }

        Writer bytes(byte[] b) {
            u32(b.length);
            return rawBytes(b);
        }

        Writer string(String s) {
            return bytes(s.getBytes(StandardCharsets.US_ASCII));
        }

        Writer rawBytes(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        Writer raw(int b) {
            out.write(b);
            return this;
        }

        int size() {
            return out.size();
        }

        byte[] done() {
            return out.toByteArray();
        }
    }
}
