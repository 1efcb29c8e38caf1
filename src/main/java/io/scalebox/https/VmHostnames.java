package io.scalebox.https;

import java.util.Locale;
import java.util.Optional;

/** {@code <vm name>.<BASE_DOMAIN>}: the one label in front of the base domain, case-insensitive. */
public final class VmHostnames {
    private final Optional<String> baseDomain;

    public VmHostnames(Optional<String> baseDomain) {
        this.baseDomain = baseDomain;
    }

    /** The VM name a Host header addresses (its port, if any, ignored). */
    public Optional<String> fromHostHeader(String host) {
        if (host == null) {
            return Optional.empty();
        }
        int colon = host.lastIndexOf(':');
        return vmName(colon >= 0 && host.indexOf(']') < colon ? host.substring(0, colon) : host);
    }

    /** The VM name {@code domain} addresses, if it is {@code <one label>.<BASE_DOMAIN>}. */
    public Optional<String> vmName(String domain) {
        if (baseDomain.isEmpty() || domain == null) {
            return Optional.empty();
        }
        String h = domain.toLowerCase(Locale.ROOT);
        String suffix = "." + baseDomain.get();
        if (!h.endsWith(suffix)) {
            return Optional.empty();
        }
        String label = h.substring(0, h.length() - suffix.length());
        return label.isEmpty() || label.contains(".") ? Optional.empty() : Optional.of(label);
    }
}
