package io.courier.broker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.courier.client.Connection;
import io.courier.client.ConnectionEvent;
import io.courier.client.Courier;
import io.courier.client.Message;
import io.courier.client.Options;
import io.courier.protocol.Connect;
import io.courier.protocol.FrameCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The TLS listener with the real Java client: certificates made by keytool for this class. */
class TlsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;
    private static TestCertificates certs;

    private final List<Broker> brokers = new ArrayList<>();
    private final List<Connection> connections = new ArrayList<>();

    @BeforeAll
    static void makeCertificates() {
        certs = TestCertificates.generate(dir.resolve("certs"));
    }

    @AfterEach
    void stopAll() {
        connections.forEach(Connection::close);
        brokers.forEach(Broker::stop);
    }

    private Broker start(String extra) {
        return start(certs.server(), extra);
    }

    private Broker start(Path keyStore, String extra) {
        Config config = ConfigFactory.parseString("courier.port = 0\n"
                + "courier.tls.enabled = true\n"
                + "courier.tls.port = 0\n"
                + "courier.tls.key-store = \"" + keyStore + "\"\n"
                + "courier.tls.key-store-password = \"" + TestCertificates.PASSWORD + "\"\n"
                + "courier.tls.trust-store = \"" + certs.caTrustStore() + "\"\n"
                + "courier.tls.trust-store-password = \"" + TestCertificates.PASSWORD + "\"\n"
                + extra);
        Broker broker = Broker.start(config);
        brokers.add(broker);
        return broker;
    }

    private static String tlsAddress(Broker broker) {
        return "127.0.0.1:" + broker.tlsAddress().orElseThrow().getPort();
    }

    private static Options.Builder tlsClient(Broker broker) {
        return Options.builder().server(tlsAddress(broker)).tls(certs.caTrustStore(), TestCertificates.PASSWORD);
    }

    private Connection connect(Options.Builder options) throws IOException, InterruptedException {
        Connection c = Courier.connect(options.build());
        connections.add(c);
        return c;
    }

    /** Subscribes on {@code sub}, publishes on {@code pub}, and checks the message arrives. */
    private static void assertDelivers(Connection pub, Connection sub, String topic) throws Exception {
        LinkedBlockingQueue<Message> received = new LinkedBlockingQueue<>();
        sub.subscribe(topic, received::add);
        sub.flush(WAIT);
        pub.publish(topic, ("hello " + topic).getBytes(StandardCharsets.UTF_8));
        Message m = received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(m).as("message on " + topic).isNotNull();
        assertThat(new String(m.payload(), StandardCharsets.UTF_8)).isEqualTo("hello " + topic);
    }

    @Test
    void deliversBetweenTlsClients() throws Exception {
        Broker broker = start("");
        Connection sub = connect(tlsClient(broker).name("sub"));
        Connection pub = connect(tlsClient(broker).name("pub"));
        assertDelivers(pub, sub, "secure.orders");
        // A request and its reply cross the TLS links too.
        sub.subscribe("svc.echo", request -> sub.publish(request.replyTo(), request.payload()));
        sub.flush(WAIT);
        Message reply = pub.request("svc.echo", "ping".getBytes(StandardCharsets.UTF_8), WAIT)
                .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(new String(reply.payload(), StandardCharsets.UTF_8)).isEqualTo("ping");
        // A payload larger than a TLS record (16 KiB) arrives whole.
        byte[] big = new byte[300_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        LinkedBlockingQueue<Message> bigOnes = new LinkedBlockingQueue<>();
        sub.subscribe("secure.big", bigOnes::add);
        sub.flush(WAIT);
        pub.publish("secure.big", big);
        Message m = bigOnes.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(m).isNotNull();
        assertThat(m.payload()).isEqualTo(big);
        assertThat(broker.stats().tlsHandshakeFailures()).isZero();
    }

    @Test
    void plainAndTlsListenersRunSideBySide() throws Exception {
        Broker broker = start("");
        assertThat(broker.tlsAddress().orElseThrow().getPort()).isNotEqualTo(broker.address().getPort());
        Connection plain = connect(Options.builder().server("127.0.0.1:" + broker.address().getPort()));
        Connection secure = connect(tlsClient(broker));
        assertDelivers(plain, secure, "mixed.a");
        assertDelivers(secure, plain, "mixed.b");
    }

    @Test
    void plainListenerCanBeTurnedOff() throws Exception {
        Broker broker = start("courier.tls.plain-listener = false");
        assertThat(broker.address()).isEqualTo(broker.tlsAddress().orElseThrow());
        Connection pub = connect(tlsClient(broker));
        Connection sub = connect(tlsClient(broker));
        assertDelivers(pub, sub, "only.tls");
    }

    @Test
    void aTakenTlsPortFailsStartUpNamingTheKey() throws Exception {
        // Checked before the warm-up and bound after it: both say this, so this shows the words, not the order.
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            assertThatThrownBy(() -> start("courier.tls.port = " + taken.getLocalPort()
                    + "\ncourier.warm-up.handshakes = 500"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("cannot bind the TLS port 127.0.0.1:" + taken.getLocalPort()
                            + " (courier.tls.port): ");
        }
    }

    @Test
    void mutualTlsAcceptsClientWithTrustedCertificate() throws Exception {
        Broker broker = start("courier.tls.client-auth = need");
        Connection sub = connect(tlsClient(broker).tlsClientCertificate(certs.client(), TestCertificates.PASSWORD));
        Connection pub = connect(tlsClient(broker).tlsClientCertificate(certs.client(), TestCertificates.PASSWORD));
        assertDelivers(pub, sub, "mtls.ok");
        assertThat(broker.stats().tlsHandshakeFailures()).isZero();
    }

    /** courier.auth.certificate-users: the certificate's CN (alice) is the user, with alice's permissions. */
    @Test
    void aClientCertificateLogsInAsTheUserItsCnNames() throws Exception {
        Broker broker = start("courier.tls.client-auth = want\n"
                + "courier.auth.certificate-users = true\n"
                + "courier.auth.failure-delay = 0s\n"
                + "courier.auth.users.alice { publish { allow = [\"alice.>\"] } }\n");
        Connection alice = connect(tlsClient(broker).tlsClientCertificate(certs.client(), TestCertificates.PASSWORD));
        assertDelivers(alice, alice, "alice.hello");
        java.util.concurrent.BlockingQueue<String> errors = new java.util.concurrent.LinkedBlockingQueue<>();
        Connection again = connect(tlsClient(broker).tlsClientCertificate(certs.client(), TestCertificates.PASSWORD)
                .connectionListener(new io.courier.client.ConnectionListener() {
                    @Override
                    public void onEvent(io.courier.client.ConnectionEvent event) {
                    }

                    @Override
                    public void onServerError(io.courier.protocol.ErrorCode code, String reason) {
                        errors.add(code + " " + reason);
                    }
                }));
        again.publish("bob.x", new byte[1]);
        again.flush(WAIT);
        assertThat(errors.poll(5, java.util.concurrent.TimeUnit.SECONDS))
                .isEqualTo("PERMISSION_DENIED PUB bob.x: user 'alice' may not publish to this topic");
        // Without a certificate there is no user: anonymous access is off once users are configured.
        assertThatThrownBy(() -> connect(tlsClient(broker).maxReconnectAttempts(0)))
                .isInstanceOf(io.courier.client.ConnectRejectedException.class);
        // And the password path does not open for a certificate-only user.
        assertThatThrownBy(() -> connect(tlsClient(broker).credentials("alice", "").maxReconnectAttempts(0)))
                .isInstanceOf(io.courier.client.ConnectRejectedException.class);
    }

    @Test
    void mutualTlsRefusesClientWithoutCertificate() throws Exception {
        Broker broker = start("courier.tls.client-auth = need");
        assertThatThrownBy(() -> connect(tlsClient(broker).maxReconnectAttempts(0)))
                .isInstanceOf(IOException.class);
        await().atMost(WAIT).until(() -> broker.stats().tlsHandshakeFailures() == 1);
        assertThat(broker.stats().accepted()).isZero();
    }

    @Test
    void mutualTlsRefusesCertificateFromUntrustedCa() throws Exception {
        Broker broker = start("courier.tls.client-auth = need");
        assertThatThrownBy(() -> connect(tlsClient(broker)
                .tlsClientCertificate(certs.rogueClient(), TestCertificates.PASSWORD)))
                .isInstanceOf(IOException.class);
        await().atMost(WAIT).until(() -> broker.stats().tlsHandshakeFailures() == 1);
        // A client with a good certificate is still served.
        Connection good = connect(tlsClient(broker).tlsClientCertificate(certs.client(), TestCertificates.PASSWORD));
        assertDelivers(good, good, "mtls.after");
    }

    @Test
    void wantClientAuthAcceptsClientWithoutCertificate() throws Exception {
        Broker broker = start("courier.tls.client-auth = want");
        Connection c = connect(tlsClient(broker));
        assertDelivers(c, c, "want.none");
    }

    @Test
    void hostnameVerificationRefusesCertificateForAnotherName() throws Exception {
        Broker broker = start(certs.otherHostServer(), "");
        assertThatThrownBy(() -> connect(tlsClient(broker)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("127.0.0.1");
        // Opting out of the check, explicitly, connects.
        Connection c = connect(tlsClient(broker).tlsHostnameVerification(false));
        assertDelivers(c, c, "no.hostname.check");
    }

    @Test
    void refusesBrokerFromUntrustedCa() throws Exception {
        Broker broker = start("");
        // The JDK's default CAs do not include the test CA.
        assertThatThrownBy(() -> connect(Options.builder().server(tlsAddress(broker)).tls()))
                .isInstanceOf(IOException.class);
    }

    @Test
    void plaintextClientOnTlsPortIsClosedWhileTlsClientsCarryOn() throws Exception {
        Broker broker = start("");
        Connection sub = connect(tlsClient(broker));
        Connection pub = connect(tlsClient(broker));
        InetSocketAddress tls = broker.tlsAddress().orElseThrow();
        try (Socket plain = new Socket()) {
            plain.connect(tls, 5000);
            plain.getOutputStream().write(FrameCodec.encode(new Connect(FrameCodec.VERSION, "plain", "test", "", "",
                    0, false)));
            assertThat(closedWithin(plain, WAIT)).as("plaintext client closed").isTrue();
        }
        await().atMost(WAIT).until(() -> broker.stats().tlsHandshakeFailures() == 1);
        assertDelivers(pub, sub, "still.secure");
        assertThat(broker.stats().failed()).isZero();
    }

    @Test
    void cutsTlsHandshakeThatNeverFinishes() throws Exception {
        Broker broker = start("courier.tls.handshake-timeout = 300ms");
        try (Socket silent = new Socket()) {
            silent.connect(broker.tlsAddress().orElseThrow(), 5000);
            long start = System.nanoTime();
            assertThat(closedWithin(silent, WAIT)).as("silent socket closed").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
        assertThat(broker.stats().tlsHandshakeFailures()).isEqualTo(1);
        Connection c = connect(tlsClient(broker));
        assertDelivers(c, c, "after.timeout");
    }

    @Test
    void closesTlsSocketsPastTheHandshakingLimit() throws Exception {
        Broker broker = start("courier.limits.max-handshaking = 2\ncourier.tls.handshake-timeout = 30s");
        InetSocketAddress tls = broker.tlsAddress().orElseThrow();
        try (Socket first = new Socket(); Socket second = new Socket(); Socket third = new Socket()) {
            first.connect(tls, 5000);
            second.connect(tls, 5000);
            await().atMost(WAIT).until(() -> first.isConnected() && second.isConnected());
            third.connect(tls, 5000);
            assertThat(closedWithin(third, WAIT)).as("third handshake refused").isTrue();
            await().atMost(WAIT).until(() -> broker.stats().tlsHandshakeFailures() == 1);
        }
        // The two silent ones are gone now: a real client gets in.
        await().atMost(WAIT).ignoreExceptions().until(() -> connect(tlsClient(broker)) != null);
    }

    @Test
    void reconnectsOverTlsAfterBrokerRestart() throws Exception {
        Broker first = start("");
        int tlsPort = first.tlsAddress().orElseThrow().getPort();
        CopyOnWriteArrayList<ConnectionEvent> events = new CopyOnWriteArrayList<>();
        Connection c = connect(Options.builder().server("127.0.0.1:" + tlsPort)
                .tls(certs.caTrustStore(), TestCertificates.PASSWORD)
                .reconnectWait(Duration.ofMillis(20)).reconnectMaxWait(Duration.ofMillis(100))
                .connectionListener(events::add));
        LinkedBlockingQueue<Message> received = new LinkedBlockingQueue<>();
        c.subscribe("restart.>", received::add);
        c.flush(WAIT);
        first.stop();
        brokers.remove(first);
        start("courier.tls.port = " + tlsPort);
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e.type() == ConnectionEvent.Type.RECONNECTED));
        c.flush(WAIT);
        c.publish("restart.x", "again".getBytes(StandardCharsets.UTF_8));
        Message m = received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(m).as("message after the reconnect (subscription restored)").isNotNull();
    }

    @Test
    void startUpFailsOnMissingKeyStore() {
        assertThatThrownBy(() -> start(dir.resolve("nope.p12"), ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("courier.tls.key-store")
                .hasMessageContaining("nope.p12");
    }

    @Test
    void startUpFailsOnWrongPasswordWithoutShowingIt() {
        assertThatThrownBy(() -> start("courier.tls.key-store-password = \"not-the-secret\""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("courier.tls.key-store-password")
                .hasMessageNotContaining("not-the-secret");
    }

    /** Reads (discarding) until the peer closes the socket (true) or {@code timeout} passes (false). */
    private static boolean closedWithin(Socket socket, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[4096];
        while (System.nanoTime() < deadline) {
            socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            try {
                if (in.read(buffer) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true; // reset by the broker
            }
        }
        return false;
    }
}
