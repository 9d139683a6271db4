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
 * The broker's TLS context, made once at start-up from {@code courier.tls.*}, and a new server {@link SSLEngine} for
 * each accepted connection. Every problem with the stores (unreadable file, wrong password, no private key, unknown
 * protocol) fails start-up with {@link IllegalArgumentException} naming the key; passwords never appear in messages.
 */
public final class ServerTls {

    private final SSLContext context;
    private final TlsSettings settings;
    private final String[] protocols;

    private ServerTls(SSLContext context, TlsSettings settings) {
        this.context = context;
        this.settings = settings;
        this.protocols = settings.protocols().toArray(String[]::new);
    }

    /** Loads the key store (and trust store) of {@code settings}. */
    public static ServerTls of(TlsSettings settings) {
        KeyStore keys = load("courier.tls.key-store", settings.keyStore(), settings.keyStorePassword(),
                settings.keyStoreType());
        try {
            if (Collections.list(keys.aliases()).stream().noneMatch(a -> isKey(keys, a))) {
                throw new IllegalArgumentException("courier.tls.key-store: " + settings.keyStore().toAbsolutePath()
                        + " holds no private key: it needs the broker's certificate chain and private key");
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, settings.keyStorePassword().toCharArray());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(settings.trustStore().map(p -> load("courier.tls.trust-store", p,
                    settings.trustStorePassword(), settings.keyStoreType())).orElse(null));
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            Set<String> supported = Set.of(context.getSupportedSSLParameters().getProtocols());
            for (String p : settings.protocols()) {
                if (!supported.contains(p)) {
                    throw new IllegalArgumentException("courier.tls.protocols: '" + p + "' is not supported by this "
                            + "JVM; supported: " + String.join(", ", supported));
                }
            }
            return new ServerTls(context, settings);
        } catch (UnrecoverableKeyException e) {
            throw new IllegalArgumentException("courier.tls.key-store-password: cannot read the private key in "
                    + settings.keyStore().toAbsolutePath() + " with it (the key's password must be the store's)", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("courier.tls.key-store: cannot use "
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
            throw new IllegalArgumentException("courier.tls.key-store-type: unknown store type '" + type
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
