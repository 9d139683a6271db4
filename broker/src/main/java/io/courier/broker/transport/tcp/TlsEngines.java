package io.courier.broker.transport.tcp;

import io.courier.broker.TlsSettings;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * A TLS context, made once at start-up from {@code courier.tls.*} (clients) or {@code courier.cluster.tls.*} (route
 * links between brokers), and a new {@link SSLEngine} for each connection. Every problem with the stores (unreadable file, wrong password, no private key, unknown
 * protocol) fails start-up with {@link IllegalArgumentException} naming the key; passwords never appear in messages.
 */
public final class TlsEngines {

    private final SSLContext context;
    private final TlsSettings settings;
    private final String[] protocols;

    private TlsEngines(SSLContext context, TlsSettings settings) {
        this.context = context;
        this.settings = settings;
        this.protocols = settings.protocols().toArray(String[]::new);
    }

    /** Loads the key store (and trust store) of {@code settings}, read from the keys under {@code prefix}. */
    public static TlsEngines of(TlsSettings settings, String prefix) {
        KeyStore keys = load(prefix + ".key-store", settings.keyStore(), settings.keyStorePassword(),
                settings.keyStoreType());
        try {
            if (Collections.list(keys.aliases()).stream().noneMatch(a -> isKey(keys, a))) {
                throw new IllegalArgumentException(prefix + ".key-store: " + settings.keyStore().toAbsolutePath()
                        + " holds no private key: it needs the broker's certificate chain and private key");
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, settings.keyStorePassword().toCharArray());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(settings.trustStore().map(p -> load(prefix + ".trust-store", p,
                    settings.trustStorePassword(), settings.keyStoreType())).orElse(null));
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            Set<String> supported = Set.of(context.getSupportedSSLParameters().getProtocols());
            for (String p : settings.protocols()) {
                if (!supported.contains(p)) {
                    throw new IllegalArgumentException(prefix + ".protocols: '" + p + "' is not supported by this "
                            + "JVM; supported: " + String.join(", ", supported));
                }
            }
            return new TlsEngines(context, settings);
        } catch (UnrecoverableKeyException e) {
            throw new IllegalArgumentException(prefix + ".key-store-password: cannot read the private key in "
                    + settings.keyStore().toAbsolutePath() + " with it (the key's password must be the store's)", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(prefix + ".key-store: cannot use "
                    + settings.keyStore().toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    private static boolean isKey(KeyStore keys, String alias) {
        try {
            return keys.isKeyEntry(alias);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static KeyStore load(String key, Path file, String password, String type) {
        KeyStore store;
        try {
            store = KeyStore.getInstance(type);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(key + "-type: unknown store type '" + type
                    + "' (PKCS12 or JKS)", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password.toCharArray());
            return store;
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException || String.valueOf(e.getMessage())
                    .toLowerCase(java.util.Locale.ROOT).contains("password")) {
                throw new IllegalArgumentException(key + "-password: wrong password for " + file.toAbsolutePath(),
                        e);
            }
            throw new IllegalArgumentException(key + ": cannot read " + file.toAbsolutePath() + " as a " + type
                    + " store: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(key + ": cannot read " + file.toAbsolutePath() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * A client engine for a route link to another broker at {@code host:port}: it presents this broker's certificate
     * and checks the other's against the trust store (no host name check: brokers know each other by address).
     */
    public SSLEngine newClientEngine(String host, int port) {
        SSLEngine engine = context.createSSLEngine(host, port);
        engine.setUseClientMode(true);
        SSLParameters parameters = context.getDefaultSSLParameters();
        parameters.setProtocols(protocols);
        engine.setSSLParameters(parameters);
        return engine;
    }

    /** A server engine for one connection: the configured protocols and client-certificate policy. */
    public SSLEngine newEngine() {
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        SSLParameters parameters = context.getDefaultSSLParameters();
        parameters.setProtocols(protocols);
        switch (settings.clientAuth()) {
            case NEED -> parameters.setNeedClientAuth(true);
            case WANT -> parameters.setWantClientAuth(true);
            case NONE -> parameters.setNeedClientAuth(false);
        }
        engine.setSSLParameters(parameters);
        return engine;
    }

    /** The protocols offered, for the start-up log. */
    public List<String> protocols() {
        return Arrays.asList(protocols);
    }

    public TlsSettings settings() {
        return settings;
    }
}
