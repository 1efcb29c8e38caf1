package io.scalebox.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks {@code Authorization: Bearer <token>} against the configured token (api.md rules), or,
 * on the metrics route only, against the read-only METRICS_TOKEN when one is set.
 */
public final class Authenticator {
    static final String REALM = "Bearer realm=\"scalebox\"";
    // RFC 6750 b64token; the scheme name is case-insensitive (RFC 7235).
    private static final Pattern BEARER = Pattern.compile("^[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\\-._~+/]+=*) *$");

    private final byte[] tokenDigest;
    private final Optional<byte[]> metricsDigest;

    public Authenticator(String token, Optional<String> metricsToken) {
        this.tokenDigest = sha256(token);
        this.metricsDigest = metricsToken.map(Authenticator::sha256);
    }

    /**
     * Returns normally for the right token; otherwise the 400/401 the contract prescribes.
     * @param access who may call the route ({@link Route.Access#OPEN} never gets here)
     */
    public void check(String authorization, Route.Access access) throws ApiException {
        if (authorization == null) {
            throw new ApiException(401, "missing_token", "Missing Authorization header", Map.of("WWW-Authenticate", REALM));
        }
        Matcher m = BEARER.matcher(authorization);
        if (!m.matches()) {
            throw new ApiException(400, "malformed_authorization", "Malformed Authorization header: expected 'Bearer <token>'");
        }
        // Comparing digests keeps the comparison constant-time and independent of the length.
        byte[] given = sha256(m.group(1));
        boolean metricsToken = access == Route.Access.METRICS && metricsDigest.isPresent()
                && MessageDigest.isEqual(metricsDigest.get(), given);
        if (!MessageDigest.isEqual(tokenDigest, given) && !metricsToken) {
            throw new ApiException(401, "invalid_token", "Invalid token",
                    Map.of("WWW-Authenticate", REALM + ", error=\"invalid_token\""));
        }
    }

    // One digest per thread: getInstance looks the provider up on every call.
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    });

    private static byte[] sha256(String s) {
        return SHA256.get().digest(s.getBytes(StandardCharsets.UTF_8));
    }
}
