package io.courier.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameType;
import io.courier.protocol.Subscribe;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Subscriptions the broker refuses, and what the {@link ErrorListener} hears. */
class ErrorReportingTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @RegisterExtension
    final ClientFixture fixture = ClientFixture.connected(options -> options.subscriptionPendingLimit(5)
            .reconnectWait(Duration.ofMillis(10)).reconnectMaxWait(Duration.ofMillis(100)));

    @Test
    void refusedSubscriptionIsInactiveWithItsReasonOnceFlushReturns() throws Exception {
        Connection connection = fixture.connection();
        fixture.broker().limitSubscriptions(2);
        Subscription first = connection.subscribe("a", m -> { });
        Subscription second = connection.subscribe("b", m -> { });
        Subscription refused = connection.subscribe("c", m -> { });
        connection.flush(WAIT);

        assertThat(refused.isActive()).isFalse();
        assertThat(refused.error()).contains(new SubscriptionError(ErrorCode.TOO_MANY_SUBSCRIPTIONS,
                "the limit is 2 subscriptions per connection"));
        assertThat(first.isActive()).isTrue();
        assertThat(second.isActive()).isTrue();
        assertThat(first.error()).isEqualTo(Optional.empty());
        awaitMarker();
        assertThat(fixture.errors().calls()).containsExactly(
                "refused c: TOO_MANY_SUBSCRIPTIONS: the limit is 2 subscriptions per connection", MARKER);
        assertThat(fixture.errors().threads()).allMatch(name -> name.startsWith("courier-dispatch-"));
        assertThat(fixture.listener().errors()).containsExactly("TOO_MANY_SUBSCRIPTIONS: SUB " + refused.sid()
                + ": the limit is 2 subscriptions per connection", "MESSAGES_DROPPED: marker"); // raw, as before
        refused.unsubscribe(); // nothing to tell the broker

        fixture.broker().dropConnections();
        fixture.listener().awaitEvent(ConnectionEvent.Type.RECONNECTED);
        connection.flush(WAIT);
        List<Frame> resent = fixture.broker().lastSession().received().stream()
                .filter(f -> f.type() == FrameType.SUB || f.type() == FrameType.UNSUB).toList();
        assertThat(resent).containsExactly(new Subscribe(first.sid(), "a", ""), new Subscribe(second.sid(), "b", ""));
    }

    @Test
    void brokerErrorNotAboutASubscriptionIsHeardAsABrokerError() throws Exception {
        Connection connection = fixture.connection();
        Subscription sub = connection.subscribe("a", m -> { });
        connection.flush(WAIT);
        fixture.broker().lastSession().send(new Err(ErrorCode.MESSAGES_DROPPED, "dropped 5 messages: read faster"));
        fixture.broker().lastSession().send(new Err(ErrorCode.INVALID_TOPIC, "SUBJECT 1: not a SUB refusal"));
        connection.flush(WAIT);

        await().atMost(WAIT).until(() -> fixture.errors().calls().size() == 2);
        assertThat(fixture.errors().calls()).containsExactly("broker MESSAGES_DROPPED: dropped 5 messages: read faster",
                "broker INVALID_TOPIC: SUBJECT 1: not a SUB refusal");
        assertThat(sub.isActive()).isTrue();
        assertThat(connection.status()).isEqualTo(ConnectionStatus.CONNECTED);
    }

    @Test
    void handlerExceptionReachesTheErrorListener() throws Exception {
        Connection connection = fixture.connection();
        Subscription sub = connection.subscribe("flaky", m -> {
            throw new IllegalStateException("boom (expected by the test)");
        });
        connection.flush(WAIT);
        connection.publish("flaky", new byte[0]);
        await().atMost(WAIT).until(() -> sub.delivered() == 1); // counted after the listener call was queued

        awaitMarker();
        assertThat(fixture.errors().calls())
                .containsExactly("handler flaky on flaky: boom (expected by the test)", MARKER);
        assertThat(sub.isActive()).isTrue();
    }

    @Test
    void pendingQueueOverflowIsHeardOncePerEpisode() throws Exception {
        Connection connection = fixture.connection();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch firstArrived = new CountDownLatch(1);
        Subscription slow = connection.subscribe("burst", m -> {
            firstArrived.countDown();
            release.await(10, TimeUnit.SECONDS);
        });
        connection.flush(WAIT);
        connection.publish("burst", new byte[0]);
        assertThat(firstArrived.await(5, TimeUnit.SECONDS)).isTrue();
        for (int i = 1; i <= 20; i++) { // the handler holds message 0; the queue (limit 5) takes 1..5, drops 6..20
            connection.publish("burst", new byte[0]);
        }
        await().atMost(WAIT).until(() -> slow.dropped() == 15);
        release.countDown();
        await().atMost(WAIT).until(() -> slow.delivered() == 6);
        connection.flush(WAIT);

        awaitMarker();
        assertThat(fixture.errors().calls()).containsExactly("slow burst dropped 1", MARKER);
    }

    private static final String MARKER = "broker MESSAGES_DROPPED: marker";

    /** Listener calls run in order: once the marker ERR is heard, every earlier call has been made. */
    private void awaitMarker() {
        fixture.broker().lastSession().send(new Err(ErrorCode.MESSAGES_DROPPED, "marker"));
        await().atMost(WAIT).until(() -> fixture.errors().calls().contains(MARKER));
    }
}
