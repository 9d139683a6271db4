package io.courier.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameType;
import io.courier.protocol.Publish;
import io.courier.protocol.Subscribe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ReconnectTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @RegisterExtension
    final ClientFixture fixture = new ClientFixture();

    private Options.Builder options() {
        return fixture.options().reconnectWait(Duration.ofMillis(10)).reconnectMaxWait(Duration.ofMillis(100))
                .connectTimeout(Duration.ofSeconds(5));
    }

    private void loseLinkAndHoldReconnect(Connection connection) {
        fixture.broker().holdHandshakes();
        fixture.broker().dropConnections();
        await().atMost(WAIT).until(() -> connection.status() == ConnectionStatus.RECONNECTING);
    }

    @Test
    void reconnectsResubscribesFirstThenReplaysBufferedPublishes() throws Exception {
        Connection connection = fixture.connect(options());
        List<String> received = new CopyOnWriteArrayList<>();
        Subscription sub = connection.subscribe("events.>", m -> received.add(m.payloadAsString()));
        Subscription limited = connection.subscribe("limited", m -> { });
        limited.unsubscribeAfter(5);
        connection.flush(WAIT);

        loseLinkAndHoldReconnect(connection);
        ConnectionEvent disconnected = fixture.listener().awaitEvent(ConnectionEvent.Type.DISCONNECTED);
        assertThat(disconnected.reason()).contains("server closed the connection");
        assertThat(connection.connectedServer()).isNull();
        for (int i = 0; i < 10; i++) {
            connection.publish("events.buffered", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
        }
        Subscription late = connection.subscribe("late.topic", m -> { });
        fixture.broker().releaseHandshakes();

        fixture.listener().awaitEvent(ConnectionEvent.Type.RECONNECTED);
        await().atMost(WAIT).until(() -> received.size() == 10);
        assertThat(received).containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
        assertThat(connection.status()).isEqualTo(ConnectionStatus.CONNECTED);
        assertThat(fixture.listener().types()).containsExactly(ConnectionEvent.Type.CONNECTED,
                ConnectionEvent.Type.DISCONNECTED, ConnectionEvent.Type.RECONNECTED);

        List<Frame> frames = fixture.broker().lastSession().received();
        assertThat(frames.get(0).type()).isEqualTo(FrameType.CONNECT);
        int firstPublish = indexOfType(frames, FrameType.PUB);
        List<Frame> beforePublishes = frames.subList(1, firstPublish);
        assertThat(beforePublishes).containsExactly(
                new Subscribe(sub.sid(), "events.>", ""),
                new Subscribe(limited.sid(), "limited", ""),
                new io.courier.protocol.Unsubscribe(limited.sid(), 5),
                new Subscribe(late.sid(), "late.topic", ""));
        assertThat(frames.stream().filter(f -> f.type() == FrameType.SUB).count()).isEqualTo(3);
        assertThat(((Publish) frames.get(firstPublish)).payload()).isEqualTo("0".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void flushWaitingAcrossAReconnectCompletesOnTheNewLink() throws Exception {
        Connection connection = fixture.connect(options());
        loseLinkAndHoldReconnect(connection);
        connection.publish("while.down", new byte[8]);
        CompletableFuture<Void> flushed = CompletableFuture.runAsync(() -> {
            try {
                connection.flush(WAIT);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        fixture.broker().releaseHandshakes();
        flushed.get(5, TimeUnit.SECONDS);
        assertThat(fixture.broker().lastSession().count(FrameType.PUB)).isEqualTo(1);
    }

    @Test
    void publishBeyondTheReconnectBufferThrowsAtOnce() throws Exception {
        Connection connection = fixture.connect(options().reconnectBufferBytes(1000));
        loseLinkAndHoldReconnect(connection);
        byte[] payload = new byte[100];
        int accepted = 0;
        try {
            for (; accepted < 100; accepted++) {
                connection.publish("buffered", payload);
            }
        } catch (ReconnectBufferFullException e) {
            assertThat(e).hasMessageContaining("reconnectBufferBytes=1000");
        }
        assertThat(accepted).isBetween(1, 9);
        assertThatThrownBy(() -> connection.publish("buffered", payload))
                .isInstanceOf(ReconnectBufferFullException.class);
        fixture.broker().releaseHandshakes();
        fixture.listener().awaitEvent(ConnectionEvent.Type.RECONNECTED);
        connection.flush(WAIT);
        assertThat(fixture.broker().lastSession().count(FrameType.PUB)).isEqualTo(accepted);
    }

    @Test
    void deadServerIsDetectedByMissingPongsAndTheClientReconnects() throws Exception {
        Connection connection = fixture.connect(options().heartbeatInterval(Duration.ofMillis(100)).maxMissedPongs(1));
        fixture.broker().answerPings(false);
        ConnectionEvent disconnected = fixture.listener().awaitEvent(ConnectionEvent.Type.DISCONNECTED);
        assertThat(disconnected.reason()).contains("missed PONGs");
        fixture.broker().answerPings(true);
        fixture.listener().awaitEvent(ConnectionEvent.Type.RECONNECTED);
        connection.flush(WAIT);
        assertThat(fixture.broker().acceptedConnections()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void fatalServerErrorDropsTheLinkAndReconnects() throws Exception {
        Connection connection = fixture.connect(options());
        fixture.broker().lastSession().send(new Err(ErrorCode.SERVER_SHUTDOWN, "maintenance"));
        ConnectionEvent disconnected = fixture.listener().awaitEvent(ConnectionEvent.Type.DISCONNECTED);
        assertThat(disconnected.reason()).contains("SERVER_SHUTDOWN").contains("maintenance");
        assertThat(fixture.listener().errors()).contains("SERVER_SHUTDOWN: maintenance");
        fixture.listener().awaitEvent(ConnectionEvent.Type.RECONNECTED);
    }

    @Test
    void givingUpReconnectingClosesAndFailsPendingRequests() throws Exception {
        Connection connection = fixture.connect(options().maxReconnectAttempts(3)
                .connectTimeout(Duration.ofMillis(500)));
        connection.subscribe("svc.silent", m -> { });
        connection.flush(WAIT);
        CompletableFuture<Message> reply = connection.request("svc.silent", new byte[0], Duration.ofSeconds(30));
        connection.flush(WAIT);
        fixture.broker().hangUpOnAccept();
        fixture.broker().dropConnections();

        ConnectionEvent closed = fixture.listener().awaitEvent(ConnectionEvent.Type.CLOSED);
        assertThat(closed.reason()).contains("gave up reconnecting after 3 attempts")
                .contains("server closed the connection before answering CONNECT");
        assertThat(fixture.broker().acceptedConnections()).isEqualTo(4);
        assertThat(connection.status()).isEqualTo(ConnectionStatus.CLOSED);
        assertThatThrownBy(() -> reply.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ConnectionClosedException.class);
        assertThatThrownBy(() -> connection.publish("any", new byte[0]))
                .isInstanceOf(ConnectionClosedException.class);
    }

    private static int indexOfType(List<Frame> frames, FrameType type) {
        for (int i = 0; i < frames.size(); i++) {
            if (frames.get(i).type() == type) {
                return i;
            }
        }
        throw new AssertionError("no " + type + " frame in " + frames);
    }
}
