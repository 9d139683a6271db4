package io.courier.broker;

import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.Message;
import io.courier.client.Options;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Two brokers, each in its own JVM, with {@code courier.cluster.tls}: Pekko Artery over tls-tcp and the route links
 * over TLS, both with mutual authentication, with certificates keytool made for this test.
 */
class ClusterTlsTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private final List<BrokerProcess> nodes = new ArrayList<>();
    private final List<Connection> clients = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (Connection c : clients) {
            c.close();
        }
        for (BrokerProcess n : nodes) {
            n.close();
        }
    }

    @Test
    void brokersJoinAndRouteOverMutualTls() throws Exception {
        TestCertificates certs = TestCertificates.generate(dir.resolve("certs"));
        ClusterTest.Cluster3.Started started = ClusterTest.Cluster3.startOnFreePorts(4, 2, (i, p) ->
                ClusterTest.Cluster3.node(p[i], "[\"127.0.0.1:" + p[0] + "\"]")
                        .replace("route-port = 0", "route-port = " + p[2 + i]) + """
                        courier.cluster.tls {
                          enabled = true
                          key-store = "%s"
                          key-store-password = "%s"
                          trust-store = "%s"
                          trust-store-password = "%s"
                        }
                        """.formatted(certs.server(), TestCertificates.PASSWORD, certs.caTrustStore(),
                        TestCertificates.PASSWORD));
        int[] ports = started.ports();
        nodes.addAll(started.nodes());

        // Both the cluster port (Artery) and the route port speak TLS, and only to a peer with a trusted certificate.
        for (int port : ports) {
            assertThat(handshakes(port, certs.caTrustStore(), certs.client())).as("TLS handshake on port " + port).isTrue();
            assertThatThrownBy(() -> handshakes(port, certs.caTrustStore(), null)).as("no certificate on port " + port)
                    .isInstanceOf(IOException.class);
        }

        // Interest goes on the TLS route link once it is up, as on a plain one.
        await().atMost(WAIT).until(() -> nodes.get(0).stats().get("routed").equals("1"));
        long viaRoute = Long.parseLong(nodes.get(1).stats().get("interest-via-route"));
        Connection sub = client(nodes.get(0));
        Connection pub = client(nodes.get(1));
        LinkedBlockingQueue<Message> received = new LinkedBlockingQueue<>();
        sub.subscribe("tls.routed", received::add);
        sub.flush(WAIT);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
            pub.publish("tls.routed", "across".getBytes(StandardCharsets.UTF_8));
            return !received.isEmpty();
        });
        assertThat(new String(received.peek().payload(), StandardCharsets.UTF_8)).isEqualTo("across");
        assertThat(Long.parseLong(nodes.get(0).stats().get("routed-in"))).isPositive();
        assertThat(Long.parseLong(nodes.get(1).stats().get("interest-via-route"))).isGreaterThan(viaRoute);
    }

    private Connection client(BrokerProcess node) throws Exception {
        Connection c = Courier.connect(Options.builder().server("127.0.0.1:" + node.address().getPort()).build());
        clients.add(c);
        return c;
    }

    /**
     * Does a TLS handshake with 127.0.0.1:{@code port} trusting the test CA and presenting {@code keyStore}'s
     * certificate (none when null), then reads for a second: a peer that refuses the certificate says so then (TLS
     * 1.3 checks it after the client's side of the handshake), one that accepts it waits for the first frame.
     *
     * @return true when the peer accepted the handshake and waits; false when it closed the socket
     * @throws IOException when the handshake or the peer refused
     */
    private static boolean handshakes(int port, Path trustStore, Path keyStore) throws Exception {
        char[] password = TestCertificates.PASSWORD.toCharArray();
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(KeyStore.getInstance(trustStore.toFile(), password));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keyStore == null ? null : KeyStore.getInstance(keyStore.toFile(), password), password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyStore == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        try (Socket tcp = new Socket()) {
            tcp.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(tcp, "127.0.0.1", port, true);
            ssl.setSoTimeout(1000);
            ssl.startHandshake();
            try {
                return ssl.getInputStream().read() >= 0;
            } catch (SocketTimeoutException e) {
                return true;
            }
        }
    }
}
