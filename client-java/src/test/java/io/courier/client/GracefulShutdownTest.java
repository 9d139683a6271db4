package io.courier.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.courier.protocol.Frame;
import io.courier.protocol.FrameType;
import io.courier.protocol.Ping;
import io.courier.protocol.Publish;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A broker that stops gracefully sends {@code ERR SERVER_SHUTDOWN}, keeps reading until the client's drain PING,
 * answers it and closes: nothing published may be lost or sent twice across the old and the new link.
 */
class GracefulShutdownTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int HALF = 10_000;

    @RegisterExtension
    final ClientFixture fixture = new ClientFixture();

    /** No heartbeats: the only PING the client sends after the ERR is the drain PING. */
    private Options.Builder options() {
        return fixture.options().heartbeatInterval(Duration.ZERO)
                .reconnectWait(Duration.ofMillis(10)).reconnectMaxWait(Duration.ofMillis(100));
    }

    @Test
    void everyPublishArrivesExactlyOnceInOrderAcrossAGracefulShutdown() throws Exception {
        Connection connection = fixture.connect(options());
        List<Integer> delivered = new CopyOnWriteArrayList<>();
        connection.subscribe("seq", m -> delivered.add(Integer.parseInt(m.payloadAsString())));
        connection.flush(WAIT);
        FakeBroker.Session old = fixture.broker().lastSession();

        // The broker reads nothing until after its ERR: the first half is still queued, in flight or in socket
        // buffers when the client learns of the shutdown, and every MSG for it comes after the ERR.
        fixture.broker().pauseReading();
        publish(connection, 0, HALF);
        old.shutDown("maintenance");
        await().atMost(WAIT).until(() -> fixture.listener().errors().contains("SERVER_SHUTDOWN: maintenance"));
        assertThat(connection.status()).isEqualTo(ConnectionStatus.RECONNECTING);
        publish(connection, HALF, 2 * HALF); // buffered: the old link gets no new publishes once the ERR is read
        fixture.broker().resumeReading();

        ConnectionEvent disconnected = fixture.listener().awaitEvent(ConnectionEvent.Type.DISCONNECTED);
        assertThat(disconnected.reason()).contains("SERVER_SHUTDOWN", "maintenance", "drain complete");
        fixture.listener().awaitEvent(ConnectionEvent.Type.RECONNECTED);
        connection.flush(WAIT);
        FakeBroker.Session next = fixture.broker().lastSession();

        List<Integer> published = new ArrayList<>(sequence(old.received()));
        published.addAll(sequence(next.received()));
        assertThat(gaps(published, 2 * HALF)).as("PUBs the brokers read").isEqualTo("none");
        assertThat(sequence(next.received()).get(0)).as("first PUB on the new link").isLessThanOrEqualTo(HALF);
        assertThat(old.received().get(old.received().size() - 1)).isEqualTo(Ping.INSTANCE);
        assertThat(old.count(FrameType.PING)).as("the PINGs of the first flush and of the drain").isEqualTo(2);
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(gaps(delivered, 2 * HALF)).as("messages delivered to the subscriber").isEqualTo("none"));
    }

    @Test
    void brokerThatNeverAnswersTheDrainPingIsLeftAfterTheConnectTimeout() throws Exception {
        Connection connection = fixture.connect(options().drainTimeout(Duration.ofSeconds(1)));
        FakeBroker.Session old = fixture.broker().lastSession();
        fixture.broker().ignoreDrainPings();
        old.shutDown("maintenance");
        await().atMost(WAIT).until(() -> fixture.listener().errors().contains("SERVER_SHUTDOWN: maintenance"));
        publish(connection, 0, 10);
        old.send(Ping.INSTANCE); // a draining client still answers the broker's PINGs
        await().atMost(WAIT).until(() -> old.count(FrameType.PONG) == 1);

        ConnectionEvent disconnected = fixture.listener().awaitEvent(ConnectionEvent.Type.DISCONNECTED);
        assertThat(disconnected.reason()).contains("SERVER_SHUTDOWN", "no PONG to the drain PING within 1000 ms");
        fixture.listener().awaitEvent(ConnectionEvent.Type.RECONNECTED);
        connection.flush(WAIT);
        assertThat(sequence(old.received())).isEmpty();
        assertThat(gaps(sequence(fixture.broker().lastSession().received()), 10)).isEqualTo("none");
    }

    private static void publish(Connection connection, int from, int to) {
        for (int i = from; i < to; i++) {
            connection.publish("seq", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
        }
    }

    private static List<Integer> sequence(List<Frame> frames) {
        return frames.stream().filter(f -> f.type() == FrameType.PUB)
                .map(f -> Integer.parseInt(new String(((Publish) f).payload(), StandardCharsets.UTF_8))).toList();
    }

    /**
     * "none" when {@code seen} is exactly 0 to {@code n - 1} in order; else a short account of what is wrong (a
     * prefix of a correct sequence counts as a gap only at its end, so this also reports progress).
     */
    private static String gaps(List<Integer> seen, int n) {
        for (int i = 0; i < seen.size(); i++) {
            if (seen.get(i) != i) {
                long distinct = seen.stream().distinct().count();
                return "at index " + i + " got " + seen.get(i) + " instead of " + i + "; " + seen.size()
                        + " received, " + (seen.size() - distinct) + " duplicates, " + (n - distinct) + " missing";
            }
        }
        return seen.size() == n ? "none" : "only " + seen.size() + " of " + n + " received";
    }
}
