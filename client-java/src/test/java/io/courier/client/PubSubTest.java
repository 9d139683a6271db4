package io.courier.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.FrameType;
import io.courier.protocol.Ping;
import io.courier.protocol.Unsubscribe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PubSubTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @RegisterExtension
    final ClientFixture fixture = ClientFixture.connected(options -> options.subscriptionPendingLimit(5));

    @Test
    void deliversPublishedMessagesToMatchingSubscription() throws Exception {
        Connection connection = fixture.connection();
        List<Message> received = new CopyOnWriteArrayList<>();
        connection.subscribe("orders.*", received::add);
        connection.subscribe("invoices.>", m -> received.add(new Message("WRONG", "", Map.of(), new byte[0])));
        connection.flush(WAIT);
        connection.publish("orders.eu", Map.of("k", "v"), "hello".getBytes(StandardCharsets.UTF_8));
        connection.publish("orders.eu.late", "not matched".getBytes(StandardCharsets.UTF_8));
        connection.publish("orders.us", "reply.here", Map.of(), "second".getBytes(StandardCharsets.UTF_8));

        await().atMost(WAIT).until(() -> received.size() >= 2);
        connection.flush(WAIT);
        assertThat(received).hasSize(2);
        Message first = received.get(0);
        assertThat(first.topic()).isEqualTo("orders.eu");
        assertThat(first.headers()).containsExactly(Map.entry("k", "v"));
        assertThat(first.payloadAsString()).isEqualTo("hello");
        assertThat(first.hasReplyTo()).isFalse();
        assertThat(received.get(1).replyTo()).isEqualTo("reply.here");
        assertThat(received.get(1).hasReplyTo()).isTrue();
    }

    @Test
    void flushReturnsOnlyOnceTheBrokerHasSeenEveryPublish() throws Exception {
        Connection connection = fixture.connection();
        FakeBroker.Session session = fixture.broker().lastSession();
        byte[] payload = new byte[128];
        for (int i = 0; i < 2000; i++) {
            connection.publish("flush.test", payload);
        }
        connection.flush(WAIT);
        assertThat(session.count(FrameType.PUB)).isEqualTo(2000);
    }

    @Test
    void slowHandlerDoesNotBlockAnotherSubscription() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger fast = new AtomicInteger();
        // default pending limit: nothing dropped
        try (Connection roomy = Courier.connect(fixture.broker().address())) {
            Subscription slow = roomy.subscribe("work.slow", m -> release.await(10, TimeUnit.SECONDS));
            Subscription quick = roomy.subscribe("work.fast", m -> fast.incrementAndGet());
            roomy.flush(WAIT);

            roomy.publish("work.slow", new byte[1]);
            roomy.publish("work.slow", new byte[1]);
            for (int i = 0; i < 1000; i++) {
                roomy.publish("work.fast", new byte[1]);
            }
            await().atMost(WAIT).until(() -> fast.get() == 1000);
            assertThat(quick.dropped()).isZero();
            assertThat(slow.delivered()).isZero();
            release.countDown();
            await().atMost(WAIT).until(() -> slow.delivered() == 2);
        }
    }

    @Test
    void fullPendingQueueDropsTheNewestAndCountsThem() throws Exception {
        Connection connection = fixture.connection();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch firstArrived = new CountDownLatch(1);
        List<String> seen = new CopyOnWriteArrayList<>();
        Subscription slow = connection.subscribe("burst", m -> {
            firstArrived.countDown();
            seen.add(m.payloadAsString());
            release.await(10, TimeUnit.SECONDS);
        });
        connection.flush(WAIT);
        connection.publish("burst", "0".getBytes(StandardCharsets.UTF_8));
        assertThat(firstArrived.await(5, TimeUnit.SECONDS)).isTrue();
        // Handler holds message 0; the queue (limit 5) takes 1..5, drops 6..20.
        for (int i = 1; i <= 20; i++) {
            connection.publish("burst", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
        }
        await().atMost(WAIT).until(() -> slow.dropped() == 15);
        release.countDown();
        await().atMost(WAIT).until(() -> slow.delivered() == 6);
        assertThat(seen).containsExactly("0", "1", "2", "3", "4", "5");
        assertThat(slow.isActive()).isTrue();
    }

    @Test
    void unsubscribeAfterStopsDeliveryAfterNMessages() throws Exception {
        Connection connection = fixture.connection();
        AtomicInteger count = new AtomicInteger();
        Subscription sub = connection.subscribe("limited", m -> count.incrementAndGet());
        sub.unsubscribeAfter(3);
        connection.flush(WAIT);
        assertThat(fixture.broker().lastSession().received()).contains(new Unsubscribe(sub.sid(), 3));
        for (int i = 0; i < 10; i++) {
            connection.publish("limited", new byte[0]);
        }
        connection.flush(WAIT);
        await().atMost(WAIT).until(() -> sub.delivered() == 3);
        assertThat(sub.isActive()).isFalse();
        connection.flush(WAIT);
        assertThat(count.get()).isEqualTo(3);
    }

    @Test
    void unsubscribeTellsTheBrokerAndStopsDelivery() throws Exception {
        Connection connection = fixture.connection();
        AtomicInteger count = new AtomicInteger();
        Subscription sub = connection.subscribe("gone", m -> count.incrementAndGet());
        connection.publish("gone", new byte[0]);
        await().atMost(WAIT).until(() -> count.get() == 1);
        sub.unsubscribe();
        sub.unsubscribe(); // idempotent
        connection.publish("gone", new byte[0]);
        connection.flush(WAIT);
        assertThat(fixture.broker().lastSession().received()).containsOnlyOnce(new Unsubscribe(sub.sid(), 0));
        assertThat(sub.isActive()).isFalse();
        assertThat(count.get()).isEqualTo(1);
    }

    @Test
    void handlerThatThrowsDoesNotStopTheSubscription() throws Exception {
        Connection connection = fixture.connection();
        AtomicInteger calls = new AtomicInteger();
        Subscription sub = connection.subscribe("flaky", m -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("boom (expected by the test)");
            }
        });
        connection.publish("flaky", new byte[0]);
        connection.publish("flaky", new byte[0]);
        await().atMost(WAIT).until(() -> sub.delivered() == 2);
        assertThat(calls.get()).isEqualTo(2);
    }

    @Test
    void nonFatalServerErrorReachesTheListenerAndKeepsTheConnection() throws Exception {
        Connection connection = fixture.connection();
        fixture.broker().lastSession().send(new Err(ErrorCode.TOO_MANY_SUBSCRIPTIONS, "limit is 10"));
        await().atMost(WAIT)
                .until(() -> fixture.listener().errors().contains("TOO_MANY_SUBSCRIPTIONS: limit is 10"));
        connection.flush(WAIT);
        assertThat(connection.status()).isEqualTo(ConnectionStatus.CONNECTED);
        assertThat(fixture.listener().types()).containsExactly(ConnectionEvent.Type.CONNECTED);
    }

    @Test
    void publishWaitsWhileTheBrokerStallsAndGoesOnWhenItReadsAgain() throws Exception {
        Connection connection = fixture.connection();
        FakeBroker.Session session = fixture.broker().lastSession();
        fixture.broker().pauseReading();
        CountDownLatch done = new CountDownLatch(1);
        Thread publisher = new Thread(() -> {
            byte[] chunk = new byte[64 * 1024];
            for (int i = 0; i < 400; i++) { // 25 MiB: more than our buffers and the kernel's together
                connection.publish("bulk", chunk);
            }
            done.countDown();
        }, "test-publisher");
        publisher.start();
        await().atMost(WAIT).until(() -> publisher.getState() == Thread.State.TIMED_WAITING);
        assertThat(done.getCount()).isEqualTo(1);
        assertThat(connection.status()).isEqualTo(ConnectionStatus.CONNECTED);
        fixture.broker().resumeReading();
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        connection.flush(WAIT);
        assertThat(session.count(FrameType.PUB)).isEqualTo(400);
    }

    @Test
    void answersServerPingWithPong() {
        FakeBroker.Session session = fixture.broker().lastSession();
        session.send(Ping.INSTANCE);
        await().atMost(WAIT).until(() -> session.count(FrameType.PONG) == 1);
    }
}
