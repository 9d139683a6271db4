package io.courier.cli;

import io.courier.client.Options;
import picocli.CommandLine.Option;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;

/**
 * The TLS options of the client commands ({@code --tls}, {@code --ca}, {@code --cert}, {@code --insecure-skip-verify})
 * and the SSL context they make. Any of them turns TLS on. {@code --ca} takes PEM certificates or a PKCS12 / JKS trust
 * store; {@code --cert} a PKCS12 / JKS key store with the client's certificate and key (for mutual TLS).
 */
final class TlsOptions {

    @Option(names = "--tls", description = {"connect with TLS (the broker's TLS port, courier.tls.port); trusts the",
            "JDK's default CAs unless --ca is given; the broker's certificate must name the host"})
    boolean tls;

    @Option(names = "--ca", paramLabel = "FILE", description = {"CA certificate(s) to trust for the broker: a PEM file",
            "or a PKCS12 / JKS trust store (password: --ca-password); implies --tls"})
    Path ca;

    @Option(names = "--ca-password", paramLabel = "PASSWORD", defaultValue = "${env:COURIER_TLS_CA_PASSWORD:-}",
            description = "password of the --ca trust store (default: $COURIER_TLS_CA_PASSWORD)")
    String caPassword;

    @Option(names = {"--cert", "--key-store"}, paramLabel = "FILE", description = {"for mutual TLS: a PKCS12 / JKS key",
            "store with this client's certificate and private key; implies --tls"})
    Path keyStore;

    @Option(names = "--key-store-password", paramLabel = "PASSWORD",
            defaultValue = "${env:COURIER_TLS_KEY_STORE_PASSWORD:-}",
            description = "password of the --cert key store (default: $COURIER_TLS_KEY_STORE_PASSWORD)")
    String keyStorePassword;

    @Option(names = "--insecure-skip-verify", description = {"TLS without checking the broker's certificate or host",
            "name: anyone on the path can read and change the traffic; for tests only; implies --tls"})
    boolean insecure;

    boolean enabled() {
        return tls || ca != null || keyStore != null || insecure;
    }

    /** Sets TLS on {@code options} when any TLS option was given. */
    void applyTo(Options.Builder options) {
        if (!enabled()) {
            return;
        }
        if (ca == null && keyStore == null && !insecure) {
            options.tls();
            return;
        }
        options.tls(context());
        if (insecure) {
            options.tlsHostnameVerification(false);
        }
    }

    private SSLContext context() {
        try {
            TrustManager[] trust;
            if (insecure) {
                trust = new TrustManager[] {new TrustEverything()};
            } else {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ca == null ? null : trustStore(ca));
                trust = tmf.getTrustManagers();
            }
            KeyManagerFactory kmf = null;
            if (keyStore != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(load(keyStore, keyStorePassword, "--cert"), keyStorePassword.toCharArray());
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), trust, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new CliFailure("cannot set up TLS: " + e.getMessage());
        }
    }

    /** PEM (or DER) certificates as a trust store; else the file is read as a key store. */
    private KeyStore trustStore(Path file) throws GeneralSecurityException {
        Collection<? extends Certificate> certificates;
        try (InputStream in = Files.newInputStream(file)) {
            certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException e) {
            throw new CliFailure("cannot read --ca " + file + ": " + e.getMessage());
        } catch (GeneralSecurityException e) {
            certificates = java.util.List.of();
        }
        if (certificates.isEmpty()) {
            return load(file, caPassword, "--ca");
        }
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new CliFailure("cannot set up TLS: " + e.getMessage());
        }
        int i = 0;
        for (Certificate c : certificates) {
            store.setCertificateEntry("ca-" + i++, c);
        }
        return store;
    }

    private static KeyStore load(Path file, String password, String option) {
        if (!Files.isReadable(file)) {
            throw new CliFailure("cannot read " + option + " " + file + ": no such file, or not readable");
        }
        try {
            return KeyStore.getInstance(file.toFile(), password.toCharArray());
        } catch (IOException e) {
            String reason = e.getCause() instanceof java.security.UnrecoverableKeyException
                    ? "wrong password (" + option + "-password / its environment variable)" : e.getMessage();
            throw new CliFailure("cannot read " + option + " " + file + ": " + reason);
        } catch (GeneralSecurityException e) {
            throw new CliFailure("cannot read " + option + " " + file + ": " + e.getMessage());
        }
    }

    /** For --insecure-skip-verify only. */
    private static final class TrustEverything implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
