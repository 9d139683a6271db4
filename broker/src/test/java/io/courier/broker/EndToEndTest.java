package io.courier.broker;

import com.typesafe.config.ConfigFactory;
import io.courier.client.Connection;
import io.courier.client.ConnectionEvent;
import io.courier.client.ConnectionStatus;
import io.courier.client.Courier;
import io.courier.client.Message;
import io.courier.client.NoRespondersException;
import io.courier.client.Options;
import io.courier.client.Subscription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The embedded broker and the real Java client over real sockets on 127.0.0.1. */
class EndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private Broker broker;
    private final List<Connection> connections = new ArrayList<>();

    @BeforeEach
    void startBroker() {
        broker = Broker.start(ConfigFactory.parseString("courier.port = 0"));
    }

    @AfterEach
    void stopAll() {
        connections.forEach(Connection::close);
        if (broker != null) {
            broker.stop();
        }
    }

    private Connection connect(String name) throws IOException, InterruptedException {
        return connect(Options.builder().server(address(broker)).name(name));
    }

    private Connection connect(Options.Builder options) throws IOException, InterruptedException {
        Connection c = Courier.connect(options.build());
        connections.add(c);
        return c;
    }

    private static String address(Broker b) {
        return "127.0.0.1:" + b.address().getPort();
    }

    @Test
    void deliversPublishedMessageWithHeadersToSubscriber() throws Exception {
        Connection sub = connect("sub");
        Connection pub = connect("pub");
        LinkedBlockingQueue<Message> received = new LinkedBlockingQueue<>();
        sub.subscribe("orders.>", received::add);
        sub.flush(WAIT);
        pub.publish("orders.eu.created", Map.of("trace", "abc"), "{\"id\":1}".getBytes(StandardCharsets.UTF_8));
        Message m = received.poll(10, TimeUnit.SECONDS);
        assertThat(m).isNotNull();
        assertThat(m.topic()).isEqualTo("orders.eu.created");
        assertThat(m.headers()).containsEntry("trace", "abc");
        assertThat(m.payloadAsString()).isEqualTo("{\"id\":1}");
    }

    @Test
    void wildcardsMatchOneTokenOrTheRest() throws Exception {
        Connection c = connect("wild");
        Set<String> star = ConcurrentHashMap.newKeySet();
        Set<String> rest = ConcurrentHashMap.newKeySet();
        c.subscribe("a.*.c", m -> star.add(m.topic()));
        c.subscribe("a.>", m -> rest.add(m.topic()));
        for (String topic : List.of("a.b.c", "a.x.c", "a.b", "a.b.c.d", "b.b.c", "a")) {
            c.publish(topic, new byte[0]);
        }
        c.flush(WAIT);
        await().atMost(WAIT).until(() -> star.size() == 2 && rest.size() == 4);
        assertThat(star).containsExactlyInAnyOrder("a.b.c", "a.x.c");
        assertThat(rest).containsExactlyInAnyOrder("a.b.c", "a.x.c", "a.b", "a.b.c.d");
    }

    @Test
    void queueGroupDeliversEachMessageToExactlyOneMember() throws Exception {
        int members = 3;
        int messages = 3000;
        List<Set<Integer>> got = new ArrayList<>();
        AtomicInteger total = new AtomicInteger();
        for (int i = 0; i < members; i++) {
            Set<Integer> mine = ConcurrentHashMap.newKeySet();
            got.add(mine);
            Connection c = connect("worker-" + i);
            c.subscribe("jobs.*", "workers", m -> {
                mine.add(ByteBuffer.wrap(m.payload()).getInt());
                total.incrementAndGet();
            });
            c.flush(WAIT);
        }
        Connection pub = connect("producer");
        for (int i = 0; i < messages; i++) {
            pub.publish("jobs.run", ByteBuffer.allocate(4).putInt(i).array());
        }
        pub.flush(WAIT);
        await().atMost(WAIT).until(() -> total.get() >= messages);
        Set<Integer> union = new HashSet<>();
        for (Set<Integer> mine : got) {
            assertThat(mine).as("every member gets a share").isNotEmpty();
            union.addAll(mine);
        }
        assertThat(union).hasSize(messages);
        // No duplicates: after everything settled the total still equals the number of messages.
        pub.flush(WAIT);
        assertThat(total.get()).isEqualTo(messages);
    }

    @Test
    void requestGetsTheResponderReply() throws Exception {
        Connection responder = connect("responder");
        responder.subscribe("time.now", m -> responder.publish(m.replyTo(), Map.of(),
                ("pong:" + m.payloadAsString()).getBytes(StandardCharsets.UTF_8)));
        responder.flush(WAIT);
        Connection requester = connect("requester");
        Message reply = requester.request("time.now", "ping".getBytes(StandardCharsets.UTF_8), WAIT)
                .get(10, TimeUnit.SECONDS);
        assertThat(reply.payloadAsString()).isEqualTo("pong:ping");
    }

    @Test
    void requestWithoutRespondersFailsAtOnceRatherThanAtItsTimeout() throws Exception {
        Connection requester = connect("lonely");
        CompletableFuture<Message> reply = requester.request("nobody.home", new byte[0], Duration.ofMinutes(5));
        // Far shorter than the request's own timeout: the broker answered "no responders".
        await().atMost(WAIT).until(reply::isDone);
        assertThatThrownBy(reply::get).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(NoRespondersException.class);
    }

    @Test
    void hundredThousandMessagesFromOnePublisherArriveCompleteAndInOrder() throws Exception {
        int count = 100_000;
        Connection sub = connect("ordered-sub");
        Connection pub = connect("ordered-pub");
        AtomicLong next = new AtomicLong();
        AtomicLong outOfOrder = new AtomicLong();
        sub.subscribe("seq", m -> {
            long seq = ByteBuffer.wrap(m.payload()).getLong();
            if (seq != next.getAndIncrement()) {
                outOfOrder.incrementAndGet();
            }
        });
        sub.flush(WAIT);
        for (long i = 0; i < count; i++) {
            pub.publish("seq", ByteBuffer.allocate(128).putLong(0, i).array());
        }
        pub.flush(Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(60)).until(() -> next.get() >= count);
        assertThat(outOfOrder.get()).isZero();
        assertThat(next.get()).isEqualTo(count);
    }

    @Test
    void unsubscribeStopsDeliveryAndUnsubscribeAfterStopsAtTheLimit() throws Exception {
        Connection c = connect("unsub");
        AtomicInteger plain = new AtomicInteger();
        AtomicInteger limited = new AtomicInteger();
        Subscription gone = c.subscribe("u", m -> plain.incrementAndGet());
        Subscription three = c.subscribe("u", m -> limited.incrementAndGet());
        three.unsubscribeAfter(3);
        gone.unsubscribe();
        for (int i = 0; i < 10; i++) {
            c.publish("u", new byte[0]);
        }
        c.flush(WAIT);
        await().atMost(WAIT).until(() -> limited.get() == 3);
        c.flush(WAIT);
        assertThat(plain.get()).isZero();
        assertThat(limited.get()).isEqualTo(3);
        await().atMost(WAIT).until(() -> broker.subscriptionCount() == 0);
    }

    @Test
    void noEchoSuppressesOwnMessagesOnlyForThatClient() throws Exception {
        Connection quiet = connect(Options.builder().server(address(broker)).name("quiet").noEcho(true));
        Connection other = connect("other");
        AtomicInteger quietGot = new AtomicInteger();
        AtomicInteger otherGot = new AtomicInteger();
        quiet.subscribe("echo", m -> quietGot.incrementAndGet());
        other.subscribe("echo", m -> otherGot.incrementAndGet());
        quiet.flush(WAIT);
        other.flush(WAIT);
        quiet.publish("echo", new byte[0]);
        other.publish("echo", new byte[0]);
        quiet.flush(WAIT);
        other.flush(WAIT);
        await().atMost(WAIT).until(() -> otherGot.get() == 2 && quietGot.get() == 1);
    }

    @Test
    void clientSurvivesBrokerRestartResubscribesAndDeliversWhatItBuffered() throws Exception {
        int port = broker.address().getPort();
        List<ConnectionEvent.Type> events = new CopyOnWriteArrayList<>();
        Connection c = connect(Options.builder().server(address(broker)).name("survivor")
                .reconnectWait(Duration.ofMillis(20)).reconnectMaxWait(Duration.ofMillis(200))
                .maxReconnectAttempts(-1)
                .connectionListener(e -> events.add(e.type())));
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        c.subscribe("survive.>", m -> received.add(m.payloadAsString()));
        c.publish("survive.before", "before".getBytes(StandardCharsets.UTF_8));
        c.flush(WAIT);
        await().atMost(WAIT).until(() -> received.contains("before"));

        broker.stop();
        broker = null;
        await().atMost(WAIT).until(() -> c.status() != ConnectionStatus.CONNECTED);
        for (int i = 0; i < 100; i++) {
            c.publish("survive.buffered", ("buffered-" + i).getBytes(StandardCharsets.UTF_8));
        }

        broker = Broker.start(ConfigFactory.parseString("courier.port = " + port));
        await().atMost(WAIT).until(() -> received.size() == 101);
        List<String> expected = new ArrayList<>();
        expected.add("before");
        for (int i = 0; i < 100; i++) {
            expected.add("buffered-" + i);
        }
        assertThat(received).containsExactlyElementsOf(expected);
        assertThat(events).contains(ConnectionEvent.Type.CONNECTED, ConnectionEvent.Type.DISCONNECTED,
                ConnectionEvent.Type.RECONNECTED);
        assertThat(broker.subscriptionCount()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void garbageFromOneClientLeavesAnotherClientsStreamIntact() throws Exception {
        Connection sub = connect("steady-sub");
        Connection pub = connect("steady-pub");
        AtomicLong next = new AtomicLong();
        AtomicLong outOfOrder = new AtomicLong();
        sub.subscribe("steady", m -> {
            if (ByteBuffer.wrap(m.payload()).getLong() != next.getAndIncrement()) {
                outOfOrder.incrementAndGet();
            }
        });
        sub.flush(WAIT);
        int count = 20_000;
        for (long i = 0; i < count; i++) {
            pub.publish("steady", ByteBuffer.allocate(8).putLong(i).array());
            if (i == count / 2) {
                try (RawClient bad = new RawClient(broker.address())) {
                    bad.sendRaw(new byte[] {0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7});
                    io.courier.protocol.Frame f = bad.next(WAIT);
                    assertThat(f).isInstanceOf(io.courier.protocol.Err.class);
                    assertThat(bad.awaitClosedByPeer(WAIT)).isTrue();
                }
            }
        }
        pub.flush(WAIT);
        await().atMost(WAIT).until(() -> next.get() >= count);
        assertThat(outOfOrder.get()).isZero();
        assertThat(sub.status()).isEqualTo(ConnectionStatus.CONNECTED);
    }
    @Test
    void subscriptionsTheBrokerRefusedAreInactiveWithItsReasonAndTheErrorListenerHearsThem() throws Exception {
        // Before: every one of 100,000 subscriptions was isActive() although the broker accepted 10,000.
        broker.stop();
        broker = Broker.start(ConfigFactory.parseString(
                "courier.port = 0\ncourier.limits.max-subscriptions-per-connection = 10"));
        List<Subscription> refusedHeard = new CopyOnWriteArrayList<>();
        Connection c = connect(Options.builder().server(address(broker)).name("greedy")
                .errorListener(new io.courier.client.ErrorListener() {
                    @Override
                    public void onSubscriptionRefused(Subscription s, io.courier.client.SubscriptionError e) {
                        refusedHeard.add(s);
                    }
                }));
        List<Subscription> subscriptions = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            subscriptions.add(c.subscribe("greedy." + i, m -> { }));
        }
        c.flush(WAIT);
        assertThat(subscriptions.subList(0, 10)).allSatisfy(s -> {
            assertThat(s.isActive()).isTrue();
            assertThat(s.error()).isEmpty();
        });
        assertThat(subscriptions.subList(10, 25)).allSatisfy(s -> {
            assertThat(s.isActive()).as("refused by the broker").isFalse();
            assertThat(s.error()).hasValueSatisfying(e ->
                    assertThat(e.code()).isEqualTo(io.courier.protocol.ErrorCode.TOO_MANY_SUBSCRIPTIONS));
        });
        await().atMost(WAIT).until(() -> refusedHeard.size() == 15);
        assertThat(broker.subscriptionCount()).isEqualTo(10);
    }
}
