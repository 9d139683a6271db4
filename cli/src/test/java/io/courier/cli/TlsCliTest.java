package io.courier.cli;

import io.courier.broker.TestCertificates;
import io.courier.client.Message;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code courier pub / sub / req} over the broker's TLS port, with certificates made by keytool for this class. */
class TlsCliTest extends EmbeddedBrokerCli {

    @TempDir
    static Path dir;
    private static TestCertificates certs;

    @BeforeAll
    static void makeCertificates() {
        certs = TestCertificates.generate(dir.resolve("certs"));
    }

    @Override
    String brokerConfig() {
        return "courier.tls.enabled = true\ncourier.tls.port = 0\n"
                + "courier.tls.key-store = \"" + certs.server() + "\"\n"
                + "courier.tls.key-store-password = \"" + TestCertificates.PASSWORD + "\"\n"
                + "courier.tls.trust-store = \"" + certs.caTrustStore() + "\"\n"
                + "courier.tls.trust-store-password = \"" + TestCertificates.PASSWORD + "\"\n"
                + "courier.tls.client-auth = want\n";
    }

    private String tlsServer() {
        return "127.0.0.1:" + broker.tlsAddress().orElseThrow().getPort();
    }

    private Path caPem() {
        return certs.caTrustStore().resolveSibling("ca.pem");
    }

    @Test
    void subAndPubOverTlsWithPemCaAndTrustStore() throws Exception {
        int before = broker.subscriptionCount();
        CompletableFuture<Integer> sub = inBackground("sub", "secure.>", "--count", "1", "--server", tlsServer(),
                "--ca", caPem().toString());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> sub.isDone() || broker.subscriptionCount() > before);
        assertThat(sub).as("sub running; err: %s", err()).isNotDone();
        assertThat(Main.run("pub", "secure.a", "hello", "--server", tlsServer(), "--ca",
                certs.caTrustStore().toString(), "--ca-password", TestCertificates.PASSWORD)).isZero();
        assertThat(sub.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(out()).isEqualTo("secure.a hello\n");
    }

    @Test
    void pubWithClientCertificateForMutualTls() throws Exception {
        BlockingQueue<Message> received = queue();
        try (var c = collect("mtls", received)) {
            assertThat(Main.run("pub", "mtls", "signed", "--server", tlsServer(), "--ca", caPem().toString(),
                    "--cert", certs.client().toString(), "--key-store-password", TestCertificates.PASSWORD))
                    .as("err: %s", err()).isZero();
            assertThat(new String(next(received).payload())).isEqualTo("signed");
        }
    }

    @Test
    void untrustedBrokerGivesOneLineAndExitCodeOne() {
        assertThat(Main.run("pub", "x", "y", "--server", tlsServer(), "--tls")).isEqualTo(1);
        assertThat(err()).startsWith("courier pub: ").contains("127.0.0.1:");
        assertThat(err().lines().count()).isEqualTo(1);
    }

    @Test
    void insecureSkipVerifyConnectsWithoutTrust() throws Exception {
        BlockingQueue<Message> received = queue();
        try (var c = collect("insecure", received)) {
            assertThat(Main.run("pub", "insecure", "ok", "--server", tlsServer(), "--insecure-skip-verify"))
                    .as("err: %s", err()).isZero();
            assertThat(new String(next(received).payload())).isEqualTo("ok");
        }
    }
}
