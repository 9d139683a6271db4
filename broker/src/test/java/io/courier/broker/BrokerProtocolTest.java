package io.courier.broker;

import io.courier.protocol.Connect;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.Message;
import io.courier.protocol.Ping;
import io.courier.protocol.Pong;
import io.courier.protocol.Publish;
import io.courier.protocol.Subscribe;
import io.courier.protocol.Unsubscribe;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The broker's side of the protocol, driven over real sockets by a bare client that can misbehave. */
class BrokerProtocolTest extends OneBrokerTest {

    private static final Duration WAIT = Duration.ofSeconds(5);


    @Test
    void deliversToLiteralAndWildcardSubscribers() throws IOException {
        start("");
        try (RawClient sub = RawClient.connected(broker.address(), "sub");
             RawClient pub = RawClient.connected(broker.address(), "pub")) {
            sub.send(new Subscribe(1, "orders.eu.created", ""));
            sub.send(new Subscribe(2, "orders.*.created", ""));
            sub.send(new Subscribe(3, "orders.>", ""));
            sub.send(new Subscribe(4, "orders.us.*", ""));
            sub.flush(WAIT);
            pub.send(new Publish("orders.eu.created", "reply.1", Map.of("k", "v"), bytes("{\"id\":1}")));
            for (int expectedSid = 1; expectedSid <= 3; expectedSid++) {
                Frame f = sub.next(WAIT);
                assertThat(f).isInstanceOf(Message.class);
                Message m = (Message) f;
                assertThat(m.topic()).isEqualTo("orders.eu.created");
                assertThat(m.replyTo()).isEqualTo("reply.1");
                assertThat(m.headers()).containsEntry("k", "v");
                assertThat(new String(m.payload(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":1}");
            }
            assertThat(sub.next(Duration.ofMillis(200))).as("sid 4 must not match").isNull();
        }
    }

    @Test
    void frameBeforeConnectIsRefusedAndClosed() throws IOException {
        start("");
        try (RawClient c = new RawClient(broker.address())) {
            c.send(new Publish("a.b", bytes("x")));
            assertErrThenClosed(c, ErrorCode.NOT_CONNECTED);
        }
    }

    @Test
    void clientThatNeverConnectsIsClosedAfterConnectTimeout() throws IOException {
        start("courier.connect-timeout = 300ms");
        try (RawClient c = new RawClient(broker.address())) {
            assertErrThenClosed(c, ErrorCode.CONNECT_TIMEOUT);
        }
    }

    @Test
    void closesSilentClientAfterMissedPingsAndRemovesItsSubscriptions() throws IOException {
        start("courier.heartbeat { min-interval = 50ms, max-missed = 2 }");
        try (RawClient c = new RawClient(broker.address())) {
            c.send(new Connect(FrameCodec.VERSION, "silent", "test", "", "", 100, false));
            c.send(new Subscribe(1, "a.>", ""));
            c.send(new Subscribe(2, "b", ""));
            assertThat(c.next(WAIT)).isInstanceOf(io.courier.protocol.Connected.class);
            await().atMost(WAIT).until(() -> broker.subscriptionCount() == 2);
            int pings = 0;
            Frame f;
            while ((f = c.next(WAIT)) instanceof Ping) {
                pings++;
            }
            assertThat(pings).isEqualTo(2);
            assertThat(f).isInstanceOf(Err.class);
            assertThat(((Err) f).code()).isEqualTo(ErrorCode.STALE_CONNECTION);
            assertThat(c.awaitClosedByPeer(WAIT)).isTrue();
            await().atMost(WAIT).until(() -> broker.subscriptionCount() == 0 && broker.stats().connections() == 0);
        }
    }

    @Test
    void clientAnsweringPingsStaysConnected() throws IOException {
        start("courier.heartbeat { min-interval = 50ms, max-missed = 1 }");
        try (RawClient c = new RawClient(broker.address())) {
            c.send(new Connect(FrameCodec.VERSION, "lively", "test", "", "", 50, false));
            assertThat(c.next(WAIT)).isInstanceOf(io.courier.protocol.Connected.class);
            for (int i = 0; i < 5; i++) {
                assertThat(c.next(WAIT)).isInstanceOf(Ping.class);
                c.send(Pong.INSTANCE);
            }
            c.flush(WAIT);
            assertThat(broker.stats().connections()).isEqualTo(1);
        }
    }

    @Test
    void garbageGetsErrAndCloseWhileAnotherClientsStreamIsUnaffected() throws Exception {
        start("");
        try (RawClient sub = RawClient.connected(broker.address(), "sub");
             RawClient pub = RawClient.connected(broker.address(), "pub")) {
            sub.send(new Subscribe(1, "stream", ""));
            sub.flush(WAIT);
            Random random = new Random(42);
            int total = 2000;
            for (int i = 0; i < total; i++) {
                pub.send(new Publish("stream", bytes(Integer.toString(i))));
                if (i == total / 2) {
                    try (RawClient bad = new RawClient(broker.address())) {
                        bad.send(new Connect(FrameCodec.VERSION, "bad", "test", "", "", 0, false));
                        byte[] garbage = new byte[64];
                        random.nextBytes(garbage);
                        garbage[0] = 0;
                        garbage[1] = 0;
                        garbage[2] = 0;
                        garbage[3] = 10;
                        garbage[4] = (byte) 0xEE;
                        bad.sendRaw(garbage);
                        Frame first = bad.next(WAIT);
                        assertThat(first).isInstanceOf(io.courier.protocol.Connected.class);
                        assertErrThenClosed(bad, ErrorCode.UNKNOWN_FRAME_TYPE);
                    }
                }
            }
            for (int i = 0; i < total; i++) {
                Frame f = sub.next(WAIT);
                assertThat(f).as("message %d", i).isInstanceOf(Message.class);
                assertThat(new String(((Message) f).payload(), StandardCharsets.UTF_8)).isEqualTo(Integer.toString(i));
            }
            assertThat(broker.stats().protocolErrors()).isEqualTo(1);
        }
    }

    @Test
    void malformedFrameIsRefused() throws IOException {
        start("");
        try (RawClient c = RawClient.connected(broker.address(), "m")) {
            // A PUB whose payload length runs past the end of the frame.
            ByteBuffer b = ByteBuffer.allocate(4 + 1 + 2 + 1 + 2 + 2 + 4);
            b.putInt(1 + 2 + 1 + 2 + 2 + 4).put((byte) 0x03).putShort((short) 1).put((byte) 'a')
                    .putShort((short) 0).putShort((short) 0).putInt(1000);
            c.sendRaw(b.array());
            assertErrThenClosed(c, ErrorCode.MALFORMED_FRAME);
        }
    }

    @Test
    void oversizedPayloadAndFrameAreRefused() throws IOException {
        start("courier.limits { max-payload = 1 KiB, max-frame = 2 KiB }");
        try (RawClient c = RawClient.connected(broker.address(), "big")) {
            c.send(new Publish("a", new byte[1025]));
            assertErrThenClosed(c, ErrorCode.PAYLOAD_TOO_LARGE);
        }
        try (RawClient c = RawClient.connected(broker.address(), "huge")) {
            c.sendRaw(ByteBuffer.allocate(5).putInt(1 << 30).put((byte) 3).array());
            assertErrThenClosed(c, ErrorCode.FRAME_TOO_LARGE);
        }
        try (RawClient c = RawClient.connected(broker.address(), "unsigned")) {
            // 2^31 reads as a negative int: still "too large", not "malformed".
            c.sendRaw(ByteBuffer.allocate(5).putInt(0x8000_0000).put((byte) 3).array());
            assertErrThenClosed(c, ErrorCode.FRAME_TOO_LARGE);
        }
    }

    @Test
    void invalidTopicsPatternsAndLimitsGetNonFatalErrors() throws IOException {
        start("courier.limits.max-subscriptions-per-connection = 2");
        try (RawClient c = RawClient.connected(broker.address(), "e")) {
            c.send(new Publish("a..b", bytes("x")));
            assertErr(c, ErrorCode.INVALID_TOPIC);
            c.send(new Publish("a.*", bytes("x")));
            assertErr(c, ErrorCode.INVALID_TOPIC);
            c.send(new Subscribe(1, "a.>.b", ""));
            assertErr(c, ErrorCode.INVALID_PATTERN);
            c.send(new Subscribe(1, "a", ""));
            c.send(new Subscribe(1, "b", ""));
            assertErr(c, ErrorCode.DUPLICATE_SUBSCRIPTION);
            c.send(new Subscribe(2, "b", ""));
            c.send(new Subscribe(3, "c", ""));
            assertErr(c, ErrorCode.TOO_MANY_SUBSCRIPTIONS);
            // The link is still alive and its valid subscriptions work.
            c.send(new Publish("b", bytes("ok")));
            Frame f = c.next(WAIT);
            assertThat(f).isInstanceOf(Message.class);
            assertThat(((Message) f).sid()).isEqualTo(2);
        }
    }

    @Test
    void refusesConnectionsBeyondTheLimit() throws IOException {
        start("courier.limits.max-connections = 2");
        try (RawClient a = RawClient.connected(broker.address(), "a");
             RawClient b = RawClient.connected(broker.address(), "b");
             RawClient c = new RawClient(broker.address())) {
            assertErrThenClosed(c, ErrorCode.TOO_MANY_CONNECTIONS);
            a.flush(WAIT);
        }
        assertThat(broker.stats().refused()).isEqualTo(1);
    }

    @Test
    void unsubscribeAfterStopsAtTheLimit() throws IOException {
        start("");
        try (RawClient c = RawClient.connected(broker.address(), "u")) {
            c.send(new Subscribe(5, "t", ""));
            c.send(new Unsubscribe(5, 3));
            for (int i = 0; i < 10; i++) {
                c.send(new Publish("t", bytes("m" + i)));
            }
            for (int i = 0; i < 3; i++) {
                assertThat(c.next(WAIT)).isInstanceOf(Message.class);
            }
            c.flush(WAIT);
            await().atMost(WAIT).until(() -> broker.subscriptionCount() == 0);
        }
    }

    @Test
    void slowConsumerIsDisconnectedUnderTheDisconnectPolicy() throws IOException {
        start("courier.slow-consumer { max-pending = 64 KiB, policy = disconnect }");
        try (RawClient slow = RawClient.connected(broker.address(), "slow");
             RawClient fast = RawClient.connected(broker.address(), "fast");
             RawClient pub = RawClient.connected(broker.address(), "pub")) {
            slow.send(new Subscribe(1, "flood", ""));
            fast.send(new Subscribe(1, "other", ""));
            slow.flush(WAIT);
            fast.flush(WAIT);
            byte[] payload = new byte[4096];
            for (int i = 0; i < 20_000 && broker.stats().slowConsumers() == 0; i++) {
                pub.send(new Publish("flood", payload));
            }
            await().atMost(WAIT).until(() -> broker.stats().slowConsumers() == 1);
            // Everything the slow client can still read ends with the ERR, then the socket closes.
            Frame last = null;
            Frame f;
            while ((f = slow.next(WAIT)) != null) {
                last = f;
            }
            assertThat(last).isInstanceOf(Err.class);
            assertThat(((Err) last).code()).isEqualTo(ErrorCode.SLOW_CONSUMER);
            // Other clients are unaffected.
            pub.send(new Publish("other", bytes("still here")));
            assertThat(fast.next(WAIT)).isInstanceOf(Message.class);
        }
    }

    @Test
    void aSubscriberReadingSlowerThanThePublisherSendsPacesThePublisherInsteadOfLosingItsLink() throws Exception {
        start("courier.slow-consumer { max-pending = 1 MiB, policy = disconnect, publisher-pause = 5s }");
        assertThat(floodThroughAReaderOfSixteenMegabytesPerSecond()).as("messages received").isEqualTo(20_000);
        assertThat(broker.stats().slowConsumers()).isZero();
    }

    @Test
    void withoutPublisherFlowControlTheSameReaderIsASlowConsumer() throws Exception {
        start("courier.slow-consumer { max-pending = 1 MiB, policy = disconnect, publisher-pause = 0s }");
        assertThat(floodThroughAReaderOfSixteenMegabytesPerSecond()).as("messages received").isLessThan(20_000);
        assertThat(broker.stats().slowConsumers()).isEqualTo(1);
    }

    /**
     * 20 MB in 1 KiB messages, far more than the kernel's socket buffers hold, sent as fast as a socket takes them
     * to a subscriber that reads 16 KiB per millisecond. Returns how many messages it received, in order.
     */
    private int floodThroughAReaderOfSixteenMegabytesPerSecond() throws Exception {
        int count = 20_000;
        try (RawClient sub = RawClient.connected(broker.address(), "reader");
             RawClient pub = RawClient.connected(broker.address(), "pub")) {
            sub.send(new Subscribe(1, "flood", ""));
            sub.flush(WAIT);
            Thread publisher = new Thread(() -> {
                byte[] payload = new byte[1024];
                try {
                    for (int i = 0; i < count; i++) {
                        ByteBuffer.wrap(payload).putInt(0, i);
                        pub.send(new Publish("flood", payload));
                    }
                } catch (IOException e) {
                    // the test's assertions tell what went wrong
                }
            }, "flood-publisher");
            publisher.setDaemon(true);
            publisher.start();
            int received = 0;
            Frame f;
            while (received < count && (f = sub.next(WAIT)) instanceof Message m) {
                assertThat(ByteBuffer.wrap(m.payload()).getInt(0)).as("in order").isEqualTo(received);
                if (++received % 16 == 0) {
                    Thread.sleep(1);
                }
            }
            publisher.join(WAIT.toMillis());
            return received;
        }
    }

    @Test
    void slowConsumerIsToldHowManyMessagesWereDroppedUnderTheDropPolicy() throws Exception {
        start("courier.slow-consumer { max-pending = 64 KiB, policy = drop, drop-report-interval = 100ms }");
        try (RawClient slow = RawClient.connected(broker.address(), "slow");
             RawClient pub = RawClient.connected(broker.address(), "pub")) {
            slow.send(new Subscribe(1, "flood", ""));
            slow.flush(WAIT);
            byte[] payload = new byte[4096];
            for (int i = 0; i < 20_000 && broker.stats().dropped() == 0; i++) {
                pub.send(new Publish("flood", payload));
            }
            pub.flush(WAIT);
            await().atMost(WAIT).until(() -> broker.stats().dropped() > 0);
            long dropped = broker.stats().dropped();
            Frame f;
            Err report = null;
            while ((f = slow.next(WAIT)) != null) {
                if (f instanceof Err e) {
                    report = e;
                    break;
                }
            }
            assertThat(report).isNotNull();
            assertThat(report.code()).isEqualTo(ErrorCode.MESSAGES_DROPPED);
            assertThat(report.reason()).contains("dropped " + dropped + " messages");
            // The link survives the drop policy.
            slow.flush(WAIT);
        }
    }

    @Test
    void gracefulStopTellsClientsBeforeClosing() throws IOException {
        start("");
        try (RawClient c = RawClient.connected(broker.address(), "s")) {
            broker.stop();
            assertErrThenClosed(c, ErrorCode.SERVER_SHUTDOWN);
        }
        broker = null;
    }

    private static void assertErr(RawClient c, ErrorCode code) throws IOException {
        Frame f = c.next(WAIT);
        assertThat(f).isInstanceOf(Err.class);
        assertThat(((Err) f).code()).isEqualTo(code);
    }

    private static void assertErrThenClosed(RawClient c, ErrorCode code) throws IOException {
        assertErr(c, code);
        assertThat(c.awaitClosedByPeer(WAIT)).as("broker closes after fatal %s", code).isTrue();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
