package io.courier.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.courier.protocol.Connect;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameType;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ConnectTest {

    @RegisterExtension
    final ClientFixture fixture = new ClientFixture();

    @Test
    void handshakeSendsConnectAndReportsServerInfo() throws Exception {
        fixture.broker().advertise(List.of("127.0.0.1:4999"));
        Options options = fixture.options().name("orders-service")
                .credentials("alice", "secret").noEcho(true).heartbeatInterval(Duration.ofSeconds(3)).build();
        try (Connection connection = Courier.connect(options)) {
            assertThat(connection.status()).isEqualTo(ConnectionStatus.CONNECTED);
            assertThat(connection.connectedServer().getPort()).isEqualTo(fixture.broker().port());
            assertThat(connection.serverInfo().serverId()).isEqualTo("fake-" + fixture.broker().port());
            assertThat(connection.serverInfo().maxPayload()).isEqualTo(1024 * 1024);
            assertThat(connection.serverInfo().servers()).containsExactly("127.0.0.1:4999");
            Connect connect = (Connect) fixture.broker().lastSession().received().get(0);
            assertThat(connect).isEqualTo(new Connect(FrameCodec.VERSION, "orders-service", Courier.CLIENT_VERSION,
                    "alice", "secret", 3000, true));
            assertThat(fixture.listener().awaitEvent(ConnectionEvent.Type.CONNECTED).server().getPort())
                    .isEqualTo(fixture.broker().port());
        }
    }

    @Test
    void connectingToAClosedPortGivesAClearIOException() throws Exception {
        int port = closedPort();
        String address = "127.0.0.1:" + port;
        assertThatThrownBy(() -> Courier.connect(address))
                .isInstanceOf(IOException.class)
                .hasMessage("cannot connect to " + address + ": connection refused");
    }

    @Test
    void connectTriesEachServerOnceAndNamesEveryFailure() throws Exception {
        int port = closedPort();
        Options options = Options.builder().servers(List.of("127.0.0.1:" + port, fixture.broker().address())).build();
        try (Connection connection = Courier.connect(options)) {
            assertThat(connection.connectedServer().getPort()).isEqualTo(fixture.broker().port());
        }
        Options none = Options.builder().servers(List.of("127.0.0.1:" + port, "127.0.0.1:" + port)).build();
        assertThatThrownBy(() -> Courier.connect(none))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot connect to any server: 127.0.0.1:" + port + ": connection refused;");
    }

    @Test
    void aBrokerThatAcceptedTheSocketIsGivenTheHandshakeTimeoutNotTheConnectTimeout() throws Exception {
        // A broker busy with a reconnect storm answers late; hanging up after connectTimeout made it redo the work.
        fixture.broker().holdHandshakes();
        Thread release = new Thread(() -> {
            try {
                Thread.sleep(1_500);
            } catch (InterruptedException e) {
                return;
            }
            fixture.broker().releaseHandshakes();
        });
        release.start();
        Options options = fixture.options().connectTimeout(Duration.ofMillis(300))
                .handshakeTimeout(Duration.ofSeconds(20)).build();
        try (Connection connection = Courier.connect(options)) {
            assertThat(connection.status()).isEqualTo(ConnectionStatus.CONNECTED);
        } finally {
            release.join();
        }
        assertThat(fixture.broker().acceptedConnections()).isEqualTo(1);
    }

    @Test
    void noConnectedWithinTheHandshakeTimeoutFailsTheAttempt() {
        fixture.broker().holdHandshakes();
        Options options = fixture.options().connectTimeout(Duration.ofSeconds(20))
                .handshakeTimeout(Duration.ofMillis(300)).build();
        try {
            assertThatThrownBy(() -> Courier.connect(options))
                    .isInstanceOf(IOException.class)
                    .hasMessage("cannot connect to " + fixture.broker().address() + ": no CONNECTED within 300 ms");
        } finally {
            fixture.broker().releaseHandshakes();
        }
    }

    @Test
    void aPeerSilentInTheTlsHandshakeFailsTheAttemptAtTheHandshakeTimeout() throws Exception {
        // The kernel completes the TCP connect from the listen backlog; nobody ever answers the ClientHello.
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + silent.getLocalPort();
            Options options = Options.builder().server(address).tls().connectTimeout(Duration.ofSeconds(20))
                    .handshakeTimeout(Duration.ofMillis(300)).build();
            assertThatThrownBy(() -> Courier.connect(options))
                    .isInstanceOf(IOException.class)
                    .hasMessage("cannot connect to " + address + ": no TLS handshake within 300 ms");
        }
    }

    @Test
    void fatalErrorAnsweringConnectFailsConnectWithCodeAndReason() {
        fixture.broker().rejectConnect(new Err(ErrorCode.AUTHENTICATION_FAILED, "bad password for alice"));
        assertThatThrownBy(() -> Courier.connect(fixture.broker().address()))
                .isInstanceOfSatisfying(ConnectRejectedException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
                    assertThat(e.reason()).isEqualTo("bad password for alice");
                    assertThat(e).hasMessageContaining("AUTHENTICATION_FAILED").hasMessageContaining("bad password");
                });
    }

    @Test
    void invalidTopicsAndPatternsAreRejectedBeforeSending() throws Exception {
        try (Connection connection = Courier.connect(fixture.broker().address())) {
            assertThatThrownBy(() -> connection.publish("orders..eu", new byte[0]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty token");
            assertThatThrownBy(() -> connection.publish("orders.*", new byte[0]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wildcard");
            assertThatThrownBy(() -> connection.subscribe("orders.>.eu", m -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("last token");
            assertThatThrownBy(() -> connection.request("", new byte[0], Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
            assertThatThrownBy(() -> connection.publish("ok", new byte[2 * 1024 * 1024]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max payload");
            connection.flush(Duration.ofSeconds(5));
            assertThat(fixture.broker().lastSession().count(FrameType.PUB)).isZero();
            assertThat(fixture.broker().lastSession().count(FrameType.SUB)).isZero();
        }
    }

    @Test
    void closeDrainsPublishesThenEmitsClosedAndRefusesFurtherUse() throws Exception {
        Connection connection = fixture.connect(fixture.options());
        FakeBroker.Session session = fixture.broker().lastSession();
        byte[] payload = "x".repeat(128).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 5000; i++) {
            connection.publish("load.test", payload);
        }
        connection.close();
        assertThat(session.count(FrameType.PUB)).isEqualTo(5000);
        assertThat(connection.status()).isEqualTo(ConnectionStatus.CLOSED);
        assertThat(fixture.listener().awaitEvent(ConnectionEvent.Type.CLOSED).reason())
                .contains("closed by the application");
        assertThatThrownBy(() -> connection.publish("load.test", payload))
                .isInstanceOf(ConnectionClosedException.class);
        assertThatThrownBy(() -> connection.subscribe("load.test", m -> { }))
                .isInstanceOf(ConnectionClosedException.class);
        connection.close(); // idempotent
        await().atMost(Duration.ofSeconds(5)).until(() -> fixture.broker().sessions().isEmpty());
        assertThat(fixture.listener().types())
                .containsExactly(ConnectionEvent.Type.CONNECTED, ConnectionEvent.Type.CLOSED);
    }

    @Test
    void optionsRejectBadSettingsWithTheReason() {
        assertThatThrownBy(() -> Options.builder().server("localhost"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
        assertThatThrownBy(() -> Options.builder().server("localhost:99999"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside 1..65535");
        assertThatThrownBy(() -> Options.builder().maxReconnectAttempts(-2))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Options.builder().reconnectWait(Duration.ofSeconds(5)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reconnectMaxWait");
        Options defaults = Options.builder().build();
        assertThat(defaults.servers()).containsExactly("127.0.0.1:4800");
        assertThat(defaults.heartbeatInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(defaults.maxMissedPongs()).isEqualTo(2);
        assertThat(defaults.maxReconnectAttempts()).isEqualTo(60);
        assertThat(defaults.reconnectBufferBytes()).isEqualTo(8L * 1024 * 1024);
        assertThat(defaults.subscriptionPendingLimit()).isEqualTo(65536);
    }

    /** A loopback port nothing listens on (it was free a moment ago). */
    private static int closedPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
