package io.courier.broker;

import io.courier.broker.auth.Credential;
import io.courier.protocol.Connect;
import io.courier.protocol.Connected;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.Publish;
import io.courier.protocol.Subscribe;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The start-up warm-up ({@link WarmUp}) in a broker process of its own, as an operator runs it: real handshakes on a
 * private loopback port before the client port opens, none of them seen by the broker that then serves clients.
 */
class WarmUpTest {

    private static final Pattern WARMED = Pattern.compile(
            "warmed up in (\\d+) ms: (\\d+) handshakes on the private port ([0-9.]+):(\\d+), closed; none kept");
    private static final Pattern WARMING = Pattern.compile(
            "warming up before the client ports open: .* on the private port ([0-9.]+):(\\d+)");
    private static final String TOKEN = Credential.newToken();

    @Test
    void theWarmUpRunsRealHandshakesOnAPrivatePortAndTheBrokerKeepsNoneOfThem() throws Exception {
        // Anonymous clients refused and small limits: the warm-up has its own authenticator and stays within the
        // per-address limits, so every one of its handshakes must still succeed, and none may count here.
        String config = "courier.warm-up.handshakes = 3000\n"
                + "courier.warm-up.max-time = 20s\n"
                + "courier.auth.anonymous = false\n"
                + "courier.auth.users.app { token = \"" + Credential.hashToken(TOKEN) + "\" }\n"
                + "courier.limits.max-connections-per-address = 40\n"
                + "courier.limits.max-handshaking-per-address = 8\n";
        try (BrokerProcess broker = BrokerProcess.start(config)) {
            Matcher warmed = WARMED.matcher(broker.output());
            assertThat(warmed.find()).as("the warm-up's log line in:\n%s", broker.output()).isTrue();
            assertThat(Integer.parseInt(warmed.group(2))).isGreaterThanOrEqualTo(3000);
            assertThat(broker.output()).doesNotContain("of them failed").doesNotContain("warm-up skipped");
            assertThat(warmed.group(3)).isEqualTo("127.0.0.1");
            InetSocketAddress privatePort = new InetSocketAddress("127.0.0.1", Integer.parseInt(warmed.group(4)));
            assertThat(privatePort.getPort()).isNotEqualTo(broker.address().getPort());

            Map<String, String> stats = broker.stats();
            assertThat(stats).containsEntry("accepted", "0").containsEntry("connections", "0")
                    .containsEntry("subscriptions", "0").containsEntry("messages-in", "0");
            assertThatThrownBy(() -> new Socket(privatePort.getAddress(), privatePort.getPort()).close())
                    .isInstanceOf(ConnectException.class);

            // The broker's own auth applies to clients: anonymous refused, the token user in.
            try (RawClient anonymous = new RawClient(broker.address())) {
                anonymous.send(new Connect(FrameCodec.VERSION, "anon", "test", "", "", 0, false));
                Frame answer = anonymous.next(Duration.ofSeconds(10));
                assertThat(answer).isInstanceOf(Err.class);
                assertThat(((Err) answer).code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
            }
            try (RawClient app = new RawClient(broker.address())) {
                app.send(new Connect(FrameCodec.VERSION, "app", "test", "", TOKEN, 0, false));
                assertThat(app.next(Duration.ofSeconds(10))).isInstanceOf(Connected.class);
                assertThat(broker.stats()).containsEntry("accepted", "2").containsEntry("connections", "1");
            }
        }
    }

    /**
     * The client port is checked free before the warm-up and bound only after it: a client arriving meanwhile is
     * refused at once and tries another server, rather than waiting in the listen backlog past its handshake timeout.
     */
    @Test
    void aClientArrivingDuringTheWarmUpIsRefusedAndOneArrivingAfterItIsServed() throws Exception {
        int port = ClusterTest.Cluster3.freePorts(1)[0];
        List<String> duringWarmUp = new CopyOnWriteArrayList<>();
        // At least 3 s of warm-up (the count cannot be reached sooner); the tries take half a second from its start.
        String config = "courier.port = " + port + "\n"
                + "courier.warm-up.handshakes = 1000000\n"
                + "courier.warm-up.max-time = 3s\n";
        try (BrokerProcess broker = BrokerProcess.start(config, line -> {
            if (WARMING.matcher(line).find()) {
                for (int i = 0; i < 5; i++) {
                    duringWarmUp.add(tryConnect(port));
                    sleep(100);
                }
            }
        })) {
            assertThat(duringWarmUp).as("tries while it warmed up").hasSize(5).containsOnly("refused");
            assertThat(broker.address().getPort()).isEqualTo(port);
            try (RawClient client = new RawClient(broker.address())) {
                client.send(new Connect(FrameCodec.VERSION, "after", "test", "", "", 0, false));
                assertThat(client.next(Duration.ofSeconds(10))).isInstanceOf(Connected.class);
            }
        }
    }

    /**
     * Whoever finds the warm-up's private port while it is open reaches only its throwaway broker: whatever it did
     * there is not in the real broker, and it is closed when the warm-up ends, which does not wait for it past its
     * bound. (The real auth settings do not apply there: anonymous clients are refused by the real broker only.)
     */
    @Test
    void aStrangerOnTheWarmUpsPrivatePortReachesNothingThatStaysAndIsClosedWithIt() throws Exception {
        CompletableFuture<RawClient> stranger = new CompletableFuture<>();
        CompletableFuture<Frame> answer = new CompletableFuture<>();
        String config = "courier.warm-up.handshakes = 3000\n"
                + "courier.warm-up.max-time = 3s\n"
                + "courier.auth.anonymous = false\n";
        try (BrokerProcess broker = BrokerProcess.start(config, line -> {
            Matcher warming = WARMING.matcher(line);
            if (warming.find()) {
                try {
                    RawClient c = new RawClient(new InetSocketAddress(warming.group(1),
                            Integer.parseInt(warming.group(2))));
                    stranger.complete(c);
                    c.send(new Connect(FrameCodec.VERSION, "stranger", "test", "", "", 0, false));
                    answer.complete(c.next(Duration.ofSeconds(10)));
                    c.send(new Subscribe(1, "stranger.>", ""));
                    c.send(new Publish("stranger.kept", new byte[100]));
                } catch (IOException e) {
                    stranger.completeExceptionally(e);
                }
            }
        })) {
            try (RawClient c = stranger.get(10, TimeUnit.SECONDS)) {
                assertThat(answer.get(10, TimeUnit.SECONDS)).as("the throwaway broker's answer")
                        .isInstanceOf(Connected.class);
                assertThat(c.awaitClosedByPeer(Duration.ofSeconds(30))).as("closed with the warm-up").isTrue();
            }
            assertThat(broker.output()).contains("warmed up in").doesNotContain("warm-up skipped");
            assertThat(broker.stats()).containsEntry("accepted", "0").containsEntry("connections", "0")
                    .containsEntry("subscriptions", "0").containsEntry("messages-in", "0");
            try (RawClient anonymous = new RawClient(broker.address())) {
                anonymous.send(new Connect(FrameCodec.VERSION, "anon", "test", "", "", 0, false));
                Frame refused = anonymous.next(Duration.ofSeconds(10));
                assertThat(refused).isInstanceOf(Err.class);
                assertThat(((Err) refused).code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
            }
        }
    }

    /** The admin port opens last, after the warm-up; that it is taken is still said before the warm-up's seconds. */
    @Test
    void aTakenAdminPortFailsStartUpBeforeTheWarmUp() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String config = "courier.warm-up.handshakes = 1000000\n"
                    + "courier.warm-up.max-time = 3s\n"
                    + "courier.admin { enabled = true, port = " + taken.getLocalPort() + " }\n";
            assertThatThrownBy(() -> BrokerProcess.start(config).close())
                    .rootCause()
                    .hasMessageContaining("cannot bind the admin port 127.0.0.1:" + taken.getLocalPort()
                            + " (courier.admin.host / port)")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("warming up"));
        }
    }

    private static String tryConnect(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return "connected";
        } catch (ConnectException e) {
            return "refused";
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void warmUpIsOffWhenSetToZero() throws IOException, InterruptedException {
        try (BrokerProcess broker = BrokerProcess.start("courier.warm-up.handshakes = 0\n")) {
            assertThat(broker.output()).doesNotContain("warmed up").doesNotContain("warm-up skipped");
        }
    }
}
