package io.courier.broker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code courier.tls.*} settings: a TLS listener for clients on a port of its own, beside (or instead of) the
 * plain one. Passwords are kept for loading the stores once at start-up and never printed: {@link #toString()}
 * masks them.
 *
 * @param enabled            whether the TLS listener runs
 * @param port               its port (0 = any free port); not {@code courier.port}, so both listeners can run
 * @param plainListener      whether the plain TCP listener on {@code courier.port} runs too
 * @param keyStore           the broker's certificate and private key (PKCS12 or JKS)
 * @param keyStorePassword   its password (also the key's)
 * @param keyStoreType       {@code PKCS12} or {@code JKS}
 * @param trustStore         CAs that client certificates must chain to; empty: the JDK's default trust store
 * @param trustStorePassword its password
 * @param clientAuth         whether clients must (need), may (want) or do not (none) present a certificate
 * @param protocols          TLS versions offered, e.g. TLSv1.3, TLSv1.2
 * @param handshakeTimeout   a TLS handshake not finished in this time is cut
 */
public record TlsSettings(boolean enabled, int port, boolean plainListener, Path keyStore, String keyStorePassword,
                          String keyStoreType, Optional<Path> trustStore, String trustStorePassword,
                          ClientAuth clientAuth, List<String> protocols, Duration handshakeTimeout) {

    /** Whether the TLS listener asks for a client certificate. */
    public enum ClientAuth { NONE, WANT, NEED }

    public TlsSettings {
        protocols = List.copyOf(protocols);
    }

    @Override
    public String toString() {
        return "TlsSettings[enabled=" + enabled + ", port=" + port + ", plainListener=" + plainListener
                + ", keyStore=" + keyStore + ", keyStorePassword=***, keyStoreType=" + keyStoreType
                + ", trustStore=" + trustStore + ", trustStorePassword=***, clientAuth=" + clientAuth
                + ", protocols=" + protocols + ", handshakeTimeout=" + handshakeTimeout + "]";
    }
}
