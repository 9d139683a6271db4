package io.courier.broker.transport.tcp;

import io.courier.broker.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;

import static org.assertj.core.api.Assertions.assertThat;

/** The TLS principal the broker hands to a session: the verified client certificate's subject, RFC 2253. */
class TlsListenerTest {

    @TempDir
    Path dir;

    @Test
    void principalIsTheClientCertificateSubjectInRfc2253() throws Exception {
        TestCertificates certs = TestCertificates.generate(dir);
        KeyStore store = KeyStore.getInstance(certs.client().toFile(), TestCertificates.PASSWORD.toCharArray());
        Certificate[] chain = store.getCertificateChain("client");
        assertThat(TlsListener.principal(session(chain))).contains(TestCertificates.CLIENT_SUBJECT);
    }

    @Test
    void noPrincipalWithoutClientCertificate() {
        assertThat(TlsListener.principal(session(null))).isEmpty();
    }

    /** An SSL session whose peer presented {@code chain} (none when null). */
    private static SSLSession session(Certificate[] chain) {
        return (SSLSession) Proxy.newProxyInstance(TlsListenerTest.class.getClassLoader(),
                new Class<?>[] {SSLSession.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getPeerCertificates")) {
                        if (chain == null) {
                            throw new SSLPeerUnverifiedException("peer not authenticated");
                        }
                        return chain;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
