package io.scalebox.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * How VMs (and optionally the API) are served over HTTPS by the host's Caddy: the guest port
 * behind {@code https://<name>.<BASE_DOMAIN>}, the loopback port of scaleboxd's router that
 * Caddy proxies to, Caddy's admin endpoint, and the ACME account and CA.
 */
public record Https(
        int vmHttpPort,
        int routerPort,
        Optional<String> apiDomain,
        String caddyAdmin,
        Optional<String> acmeEmail,
        Optional<String> acmeCa,
        Optional<Path> acmeCaRoot) {
}
