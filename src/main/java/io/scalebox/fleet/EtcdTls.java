package io.scalebox.fleet;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS context for etcd from PEM files: the fleet's CA (trusted alone, not the system's),
 * and this host's client certificate and PKCS#8 key when etcd demands one (--client-cert-auth).
 */
public final class EtcdTls {
    private EtcdTls() {
    }

    public static SSLContext context(Path ca, Optional<Path> cert, Optional<Path> key)
            throws IOException, GeneralSecurityException {
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        int i = 0;
        for (Certificate c : certificates(x509, ca)) {
            trust.setCertificateEntry("ca" + i++, c);
        }
        if (i == 0) {
            throw new GeneralSecurityException(ca + " holds no certificate");
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (cert.isPresent() && key.isPresent()) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] none = new char[0];
            keys.setKeyEntry("client", privateKey(key.get()), none,
                    certificates(x509, cert.get()).toArray(new Certificate[0]));
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, none);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    private static Collection<? extends Certificate> certificates(CertificateFactory x509, Path pem)
            throws IOException, GeneralSecurityException {
        return x509.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem)));
    }

    /** An unencrypted PKCS#8 key ("BEGIN PRIVATE KEY"), RSA or EC. */
    static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
        String text = Files.readString(pem, StandardCharsets.US_ASCII);
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new GeneralSecurityException(pem + " is not an unencrypted PKCS#8 key (BEGIN PRIVATE KEY); convert it"
                    + " with: openssl pkcs8 -topk8 -nocrypt -in KEY -out " + pem);
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // the next algorithm
            }
        }
        throw new GeneralSecurityException(pem + ": not an RSA, EC or Ed25519 key");
    }
}
