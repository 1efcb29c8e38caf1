package io.scalebox.vm;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One OpenSSH public key line (api.md): a supported type, its base64 blob (which must start
 * with the same type), an optional comment; no options prefix, no line breaks. It becomes
 * the guest user's authorized_keys, so nothing else may get through.
 */
public record SshPublicKey(String line) {
    private static final Pattern KEY_LINE = Pattern.compile(
            "^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\\.com"
                    + "|sk-ecdsa-sha2-nistp256@openssh\\.com) ([A-Za-z0-9+/]+={0,3})(?: [\\x20-\\x7e]*)?$");
    static final int MAX_LENGTH = 16 * 1024;
    static final String FORMAT = "ssh_public_key must be one OpenSSH public key line (ssh-ed25519, "
            + "ssh-rsa, ecdsa-sha2-*, sk-*) without options or line breaks";

    /** Use {@link #parse}. */
    public SshPublicKey {
        if (!KEY_LINE.matcher(line).matches()) {
            throw new IllegalArgumentException(FORMAT);
        }
    }

    /** The key from text as a client sent it (surrounding white space dropped); the message says what is wrong. */
    public static SshPublicKey parse(String text) {
        String line = text.strip();
        Matcher m = KEY_LINE.matcher(line);
        if (text.length() > MAX_LENGTH || text.contains("\n") || text.contains("\r") || !m.matches()) {
            throw new IllegalArgumentException(FORMAT);
        }
        try {
            byte[] blob = Base64.getDecoder().decode(m.group(2));
            int len = ((blob[0] & 0xff) << 24) | ((blob[1] & 0xff) << 16) | ((blob[2] & 0xff) << 8) | (blob[3] & 0xff);
            if (len < 0 || len > blob.length - 4
                    || !new String(blob, 4, len, StandardCharsets.US_ASCII).equals(m.group(1))) {
                throw new IllegalArgumentException("ssh_public_key is not a valid " + m.group(1) + " key");
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("ssh_public_key is not a valid " + m.group(1) + " key");
        }
        return new SshPublicKey(line);
    }
}
