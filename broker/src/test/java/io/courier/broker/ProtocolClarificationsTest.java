package io.courier.broker;

import io.courier.broker.session.ConnectionsSupervisor;
import io.courier.protocol.Connect;
import io.courier.protocol.Connected;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.Headers;
import io.courier.protocol.Message;
import io.courier.protocol.Ping;
import io.courier.protocol.Pong;
import io.courier.protocol.Publish;
import io.courier.protocol.Subscribe;
import io.courier.protocol.Unsubscribe;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What docs/protocol.md says the broker does where a client author had to guess (tracker issue 12), pinned over real
 * sockets so the document cannot drift from the code. Each test names the section it keeps honest.
 */
class ProtocolClarificationsTest extends OneBrokerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    /** Timers never fire early; this covers the clock reads on either side. */
    private static final long EARLY_MS = 50;
    /** Generous bound for a late timer or a slow read on a loaded machine. */
    private static final long LATE_MS = 1500;

    // ------------------------------------------------------------------ section 8: queue groups

    @Test
    void aQueueGroupIsOneGroupAcrossOverlappingPatterns() throws IOException {
        start("");
        try (RawClient star = RawClient.connected(broker.address(), "star");
             RawClient tail = RawClient.connected(broker.address(), "tail");
             RawClient plain = RawClient.connected(broker.address(), "plain");
             RawClient pub = RawClient.connected(broker.address(), "pub")) {
            star.send(new Subscribe(1, "x.*", "g"));
            tail.send(new Subscribe(2, "x.>", "g"));
            plain.send(new Subscribe(3, "x.>", ""));
            star.flush(WAIT);
            tail.flush(WAIT);
            plain.flush(WAIT);
            for (int i = 0; i < 20; i++) {
                pub.send(new Publish("x.y", bytes("y" + i)));
            }
            for (int i = 0; i < 5; i++) {
                pub.send(new Publish("x.y.z", bytes("z" + i)));
            }
            pub.flush(WAIT);
            List<Message> toStar = messages(untilPong(star));
            List<Message> toTail = messages(untilPong(tail));
            assertThat(toStar).allSatisfy(m -> assertThat(m.topic()).isEqualTo("x.y"));
            assertThat(toTail.stream().filter(m -> m.topic().equals("x.y.z")).count())
                    .as("x.y.z matches only x.> in the group").isEqualTo(5);
            List<String> toGroup = new ArrayList<>(payloads(toStar));
            toGroup.addAll(payloads(toTail));
            assertThat(toGroup).as("each message once to the group, not once per pattern").hasSize(25)
                    .doesNotHaveDuplicates();
            assertThat(messages(untilPong(plain))).as("a subscription outside the group gets its own copy").hasSize(25);
        }
    }

    // ------------------------------------------------------------------ section 6: heartbeats

    @Test
    void aSilentClientGetsItsFirstPingTwoIntervalsAfterConnectAndIsClosedAfterMaxMissedPlusTwo() throws IOException {
        long interval = 200;
        start("courier.heartbeat { interval = 200ms, max-missed = 2 }");
        try (RawClient c = new RawClient(broker.address())) {
            long start = System.nanoTime();
            c.send(new Connect(FrameCodec.VERSION, "silent", "test", "", "", 0, false));
            assertThat(c.nextOf(Connected.class, WAIT).heartbeatMillis()).isEqualTo(200);
            List<Long> pingsAt = new ArrayList<>();
            Frame f;
            while ((f = c.next(WAIT)) instanceof Ping) {
                pingsAt.add(millisSince(start));
            }
            long errAt = millisSince(start);
            assertErr(f, ErrorCode.STALE_CONNECTION);
            assertThat(c.awaitClosedByPeer(WAIT)).isTrue();
            assertThat(pingsAt).as("max-missed PINGs, then the close").hasSize(2);
            assertThat(pingsAt.get(0)).as("first PING, ms after CONNECT")
                    .isBetween(2 * interval - EARLY_MS, 2 * interval + LATE_MS);
            assertThat(pingsAt.get(1)).as("second PING").isGreaterThanOrEqualTo(3 * interval - EARLY_MS);
            assertThat(errAt).as("STALE_CONNECTION, ms after CONNECT")
                    .isBetween((2 + 2) * interval - EARLY_MS, (2 + 2) * interval + LATE_MS);
        }
    }

    @Test
    void aPongIsASignOfLifeAndAClientThatOnlyAnswersIsPingedEverySecondInterval() throws IOException {
        long interval = 250;
        start("courier.heartbeat { interval = 250ms, max-missed = 1 }");
        try (RawClient c = new RawClient(broker.address())) {
            long start = System.nanoTime();
            c.send(new Connect(FrameCodec.VERSION, "answers", "test", "", "", 0, false));
            c.nextOf(Connected.class, WAIT);
            long lastPong = 0;
            for (int k = 1; k <= 4; k++) {
                assertThat(c.next(WAIT)).as("PING %d", k).isInstanceOf(Ping.class);
                assertThat(millisSince(start)).as("PING %d, ms after CONNECT", k)
                        .isGreaterThanOrEqualTo(2 * k * interval - EARLY_MS);
                c.send(Pong.INSTANCE);
                lastPong = System.nanoTime();
            }
            // With max-missed = 1, a PONG that did not count would have closed the link at the next check.
            assertThat(c.next(WAIT)).as("one more PING once the client stops answering").isInstanceOf(Ping.class);
            Frame f = c.next(WAIT);
            long errAt = millisSince(lastPong);
            assertErr(f, ErrorCode.STALE_CONNECTION);
            assertThat(errAt).as("STALE_CONNECTION, ms after the last PONG")
                    .isBetween((1 + 1) * interval - EARLY_MS, (1 + 2) * interval + LATE_MS);
        }
    }

    @Test
    void bytesOfAnUnfinishedFrameAreNoSignOfLife() throws IOException {
        long interval = 200;
        start("courier.heartbeat { interval = 200ms, max-missed = 2 }");
        try (RawClient c = new RawClient(broker.address())) {
            long start = System.nanoTime();
            c.send(new Connect(FrameCodec.VERSION, "trickler", "test", "", "", 0, false));
            c.nextOf(Connected.class, WAIT);
            c.sendRaw(ByteBuffer.allocate(5).putInt(100_000).put((byte) 0x03).array());
            Err err = null;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (err == null && !c.closedByPeer() && System.nanoTime() < deadline) {
                try {
                    c.sendRaw(new byte[] {0});
                } catch (IOException closed) {
                    break;
                }
                err = c.firstOf(Err.class, Duration.ofMillis(50));
            }
            long errAt = millisSince(start);
            if (err == null) {
                err = c.firstOf(Err.class, WAIT);
            }
            assertErr(err, ErrorCode.STALE_CONNECTION);
            assertThat(errAt).as("ms after CONNECT, bytes sent every 50 ms all along")
                    .isBetween((2 + 2) * interval - EARLY_MS, (2 + 2) * interval + LATE_MS);
        }
    }

    @Test
    void aPongAfterSubMeansEveryConnectionsLaterPublishesReachTheSubscription() throws IOException {
        start("");
        try (RawClient sub = RawClient.connected(broker.address(), "sub");
             RawClient first = RawClient.connected(broker.address(), "first");
             RawClient second = RawClient.connected(broker.address(), "second")) {
            for (int i = 0; i < 100; i++) {
                String topic = "vis." + i + ".t";
                // Looked up twice with no subscriber: the empty match is in the broker's match cache.
                first.send(new Publish(topic, bytes("before")));
                first.send(new Publish(topic, bytes("before")));
                first.flush(WAIT);
                String pattern = switch (i % 4) {
                    case 0 -> topic;
                    case 1 -> "vis." + i + ".*";
                    case 2 -> "vis." + i + ".>";
                    default -> "*." + i + ".t";
                };
                sub.send(new Subscribe(i, pattern, i % 5 == 0 ? "g" + i : ""));
                assertThat(untilPong(sub)).isEmpty();
                (i % 2 == 0 ? first : second).send(new Publish(topic, bytes("after")));
                Message m = sub.nextOf(Message.class, WAIT);
                assertThat(m.sid()).isEqualTo(i);
                assertThat(new String(m.payload(), StandardCharsets.UTF_8)).isEqualTo("after");
            }
        }
    }

    // ------------------------------------------------------------------ sections 10, 11, 13: closing and defaults

    @Test
    void theDocumentedDefaultsAreTheBrokersDefaults() throws IOException {
        start("");
        BrokerSettings s = broker.settings();
        assertThat(s.closeTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.shutdownTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.heartbeatInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.heartbeatMaxMissed()).isEqualTo(2);
        assertThat(s.heartbeatMinInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(s.heartbeatMaxInterval()).isEqualTo(Duration.ofMinutes(2));
        assertThat(s.maxPayload()).isEqualTo(1024 * 1024);
        assertThat(s.maxFrame()).isEqualTo(1088 * 1024);
        assertThat(s.maxHandshakeFrame()).isEqualTo(8 * 1024);
        assertThat(s.frameTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(s.maxSubscriptionsPerConnection()).isEqualTo(10_000);
        assertThat(s.maxConnections()).isEqualTo(100_000);
        assertThat(s.maxHandshaking()).isEqualTo(1000);
        assertThat(s.maxHandshakingPerAddress()).isEqualTo(100);
        assertThat(s.listenBacklog()).isEqualTo(4096);
        assertThat(s.maxPendingBytes()).isEqualTo(32L * 1024 * 1024);
        assertThat(s.slowConsumerPolicy()).isEqualTo(BrokerSettings.SlowConsumerPolicy.DISCONNECT);
        assertThat(s.dropReportInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.publisherPause()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.maxPacing()).isEqualTo(Duration.ofSeconds(3));
        try (RawClient c = new RawClient(broker.address())) {
            c.send(new Connect(FrameCodec.VERSION, "defaults", "test", "", "", 0, false));
            Connected connected = c.nextOf(Connected.class, WAIT);
            assertThat(connected.version()).isEqualTo(FrameCodec.VERSION);
            assertThat(connected.maxPayload()).isEqualTo(1_048_576);
            assertThat(connected.heartbeatMillis()).isEqualTo(10_000);
        }
    }

    @Test
    void aSlowConsumerCutDiscardsTheBacklogAndTheErrComesNext() throws IOException {
        // max-pending above the 256 KiB write batch, so that something is still queued when the cut comes.
        start("courier.slow-consumer { max-pending = 1 MiB, publisher-pause = 0s }");
        try (RawClient slow = RawClient.connected(broker.address(), "slow");
             RawClient pub = RawClient.connected(broker.address(), "pub")) {
            slow.send(new Subscribe(1, "flood", ""));
            slow.flush(WAIT);
            int sent = floodUntil(pub, "flood", 50_000, () -> broker.stats().slowConsumers() > 0);
            await().atMost(WAIT).until(() -> broker.stats().slowConsumers() == 1);
            Ending end = readToEnd(slow);
            assertThat(end.closed()).isTrue();
            assertErr(end.last(), ErrorCode.SLOW_CONSUMER);
            assertThat(end.messages()).as("only what had left the queue before the cut").isLessThan(sent);
            assertThat(broker.stats().discardedOnCut()).as("the backlog was discarded").isPositive();
        }
    }

    @Test
    void aCutClientThatReadsNothingIsClosedCloseTimeoutLaterAtTheLatest() throws IOException {
        start("""
                courier.slow-consumer { max-pending = 1 MiB, publisher-pause = 0s }
                courier.close-timeout = 500ms
                """);
        try (RawClient slow = RawClient.connected(broker.address(), "slow");
             RawClient pub = RawClient.connected(broker.address(), "pub")) {
            slow.send(new Subscribe(1, "flood", ""));
            slow.flush(WAIT);
            floodUntil(pub, "flood", 50_000, () -> broker.stats().slowConsumers() > 0);
            await().atMost(WAIT).until(() -> broker.stats().slowConsumers() == 1);
            long cutSeen = System.nanoTime();
            // slow reads nothing: its socket is full, the ERR cannot be written, the close timeout ends the link.
            await().atMost(WAIT).until(() -> broker.stats().connections() == 1);
            assertThat(millisSince(cutSeen)).isLessThanOrEqualTo(500 + LATE_MS);
        }
    }

    @Test
    void aStaleConnectionsBacklogIsDiscardedAndItsErrComesNext() throws IOException {
        start("courier.slow-consumer.publisher-pause = 0s");
        try (RawClient sub = new RawClient(broker.address());
             RawClient pub = RawClient.connected(broker.address(), "pub")) {
            sub.send(new Connect(FrameCodec.VERSION, "stale", "test", "", "", 700, false));
            sub.send(new Subscribe(1, "backlog", ""));
            sub.nextOf(Connected.class, WAIT);
            sub.flush(WAIT);
            // 24 MB: more than the sockets' buffers hold, less than max-pending (32 MiB).
            int sent = floodUntil(pub, "backlog", 6000, () -> false);
            pub.flush(WAIT);
            await().atMost(WAIT).until(() -> broker.stats().discardedOnCut() > 0);
            Ending end = readToEnd(sub);
            assertThat(end.closed()).isTrue();
            assertErr(end.last(), ErrorCode.STALE_CONNECTION);
            assertThat(end.messages()).isLessThan(sent);
        }
    }

    @Test
    void aFrameTimeoutsBacklogIsDiscardedAndItsErrComesNext() throws IOException {
        start("""
                courier.slow-consumer.publisher-pause = 0s
                courier.limits.frame-timeout = 1500ms
                """);
        try (RawClient sub = RawClient.connected(broker.address(), "unfinished");
             RawClient pub = RawClient.connected(broker.address(), "pub")) {
            sub.send(new Subscribe(1, "backlog", ""));
            sub.flush(WAIT);
            int sent = floodUntil(pub, "backlog", 6000, () -> false);
            pub.flush(WAIT);
            // The backlog is queued by now; the frame's deadline starts with its first bytes (on a loaded machine a
            // flood sent after them could still be arriving when it passed, and nothing would be left to discard).
            sub.sendRaw(ByteBuffer.allocate(5).putInt(100).put((byte) 0x07).array());
            await().atMost(WAIT).until(() -> broker.stats().discardedOnCut() > 0);
            Ending end = readToEnd(sub);
            assertThat(end.closed()).isTrue();
            assertErr(end.last(), ErrorCode.FRAME_TIMEOUT);
            assertThat(end.messages()).isLessThan(sent);
        }
    }

    @Test
    void aProtocolErrorsErrComesAfterEverythingAlreadyQueued() throws IOException {
        start("courier.close-timeout = 10s");
        try (RawClient sub = RawClient.connected(broker.address(), "sub");
             RawClient pub = RawClient.connected(broker.address(), "pub")) {
            sub.send(new Subscribe(1, "backlog", ""));
            sub.flush(WAIT);
            int sent = floodUntil(pub, "backlog", 2000, () -> false);
            pub.flush(WAIT);
            sub.send(new Message(1, "a", "", Map.of(), new byte[0]));
            Ending end = readToEnd(sub);
            assertThat(end.closed()).isTrue();
            assertErr(end.last(), ErrorCode.PROTOCOL_VIOLATION);
            assertThat(end.messages()).as("the backlog is flushed before the ERR").isEqualTo(sent);
        }
    }

    // ------------------------------------------------------------------ section 2: max frame size

    @Test
    void maxFrameMustLeaveSixtyFourBytesAboveMaxPayloadAndIsNotAdvertised() throws IOException {
        assertThatThrownBy(() -> start("courier.limits { max-payload = 1 KiB, max-frame = 1087 }"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("courier.limits.max-frame").hasMessageContaining("max-payload + 64");
        start("courier.limits { max-payload = 1 KiB, max-frame = 1088 }");
        try (RawClient sub = RawClient.connected(broker.address(), "sub");
             RawClient pub = new RawClient(broker.address())) {
            pub.send(new Connect(FrameCodec.VERSION, "pub", "test", "", "", 0, false));
            assertThat(pub.nextOf(Connected.class, WAIT).maxPayload()).as("max_payload, not max-frame").isEqualTo(1024);
            sub.send(new Subscribe(1, ">", ""));
            sub.flush(WAIT);
            // topic, reply_to and headers fields of 59 bytes in all: the most that always fits beside max_payload
            String topic = "t." + "x".repeat(51);
            Publish fits = new Publish(topic, new byte[1024]);
            assertThat(FrameCodec.encodedSize(fits) - 4).as("length field").isEqualTo(1088);
            pub.send(fits);
            assertThat(sub.nextOf(Message.class, WAIT).payload()).hasSize(1024);
            pub.send(new Publish(topic + "x", new byte[1024]));
            assertErrThenClosed(pub, ErrorCode.FRAME_TOO_LARGE);
        }
    }

    // ------------------------------------------------------------------ section 5.1: connection limits

    @Test
    void aBrokerFullOfEstablishedLinksRefusesAtAcceptBeforeTheClientSendsAnything() throws IOException {
        start("courier.limits.max-connections = 1");
        try (RawClient a = RawClient.connected(broker.address(), "a")) {
            await().atMost(WAIT).until(() -> broker.capacity().connections().used() == 1);
            try (RawClient b = new RawClient(broker.address())) {
                assertErrThenClosed(b, ErrorCode.TOO_MANY_CONNECTIONS);
            }
            assertThat(broker.stats().accepted()).as("refused at accept: no link was made for it").isEqualTo(1);
            a.flush(WAIT);
        }
    }

    @Test
    void aConnectThatWouldPassMaxConnectionsIsRefused() throws IOException {
        start("courier.limits.max-connections = 1");
        try (RawClient early = new RawClient(broker.address())) {
            await().atMost(WAIT).until(() -> broker.stats().accepted() == 1);
            try (RawClient a = RawClient.connected(broker.address(), "a")) {
                await().atMost(WAIT).until(() -> broker.capacity().connections().used() == 1);
                early.send(new Connect(FrameCodec.VERSION, "late", "test", "", "", 0, false));
                assertErrThenClosed(early, ErrorCode.TOO_MANY_CONNECTIONS);
                a.flush(WAIT);
            }
        }
    }

    @Test
    void theOldestHandshakingConnectionMakesRoomWhenTheHandshakeBudgetIsFull() throws Exception {
        for (String limit : List.of("max-handshaking = 2", "max-handshaking-per-address = 2")) {
            start("courier.connect-timeout = 30s\ncourier.limits." + limit);
            try (RawClient oldest = new RawClient(broker.address())) {
                await().atMost(WAIT).until(() -> broker.stats().accepted() == 1);
                try (RawClient second = new RawClient(broker.address())) {
                    await().atMost(WAIT).until(() -> broker.stats().accepted() == 2);
                    // Past the grace a connection has to send CONNECT before a newer one from its address may
                    // take its place (within it, the newer one is let in beyond the per-address budget).
                    Thread.sleep(TimeUnit.NANOSECONDS.toMillis(ConnectionsSupervisor.HANDSHAKE_GRACE_NANOS) + 100);
                    try (RawClient third = new RawClient(broker.address())) {
                        Frame f = oldest.next(WAIT);
                        assertErr(f, ErrorCode.TOO_MANY_CONNECTIONS);
                        assertThat(oldest.awaitClosedByPeer(WAIT)).as(limit).isTrue();
                        for (RawClient c : List.of(second, third)) {
                            c.send(new Connect(FrameCodec.VERSION, "c", "test", "", "", 0, false));
                            assertThat(c.next(WAIT)).as(limit).isInstanceOf(Connected.class);
                        }
                        assertThat(broker.stats().handshakeEvictions()).as(limit).isEqualTo(1);
                    }
                }
            }
            brokers.stopAll();
        }
    }

    @Test
    void aConnectionStillInItsHandshakeIsToldServerShutdownWhenTheBrokerStops() throws IOException {
        start("");
        try (RawClient c = new RawClient(broker.address())) {
            await().atMost(WAIT).until(() -> broker.stats().accepted() == 1);
            broker.stop();
            assertErrThenClosed(c, ErrorCode.SERVER_SHUTDOWN);
        }
    }

    // ------------------------------------------------------------------ section 5.2: versions

    @Test
    void versionZeroIsUnsupportedAndAHigherVersionIsAnsweredWithTheHighestTheBrokerSpeaks() throws IOException {
        start("");
        try (RawClient c = new RawClient(broker.address())) {
            c.send(new Connect(0, "zero", "test", "", "", 0, false));
            assertErrThenClosed(c, ErrorCode.UNSUPPORTED_VERSION);
        }
        try (RawClient c = new RawClient(broker.address())) {
            c.send(new Connect(7, "seven", "test", "", "", 0, false));
            assertThat(c.nextOf(Connected.class, WAIT).version()).isEqualTo(FrameCodec.VERSION);
        }
    }

    // ------------------------------------------------------------------ sections 2, 3, 5.1: which error wins

    @Test
    void beforeConnectTheFirstCheckThatFailsNamesTheError() throws IOException {
        start("");
        byte[] msg = FrameCodec.encode(new Message(1, "a", "", Map.of(), new byte[0]));
        Map<String, Object[]> cases = new LinkedHashMap<>();
        cases.put("a MSG", new Object[] {msg, ErrorCode.NOT_CONNECTED});
        cases.put("a PUB", new Object[] {FrameCodec.encode(new Publish("a", new byte[0])), ErrorCode.NOT_CONNECTED});
        cases.put("a PING", new Object[] {FrameCodec.encode(Ping.INSTANCE), ErrorCode.NOT_CONNECTED});
        cases.put("an ERR", new Object[] {FrameCodec.encode(new Err(ErrorCode.INTERNAL_ERROR, "x")),
                ErrorCode.NOT_CONNECTED});
        cases.put("type 0x3F", new Object[] {new byte[] {0, 0, 0, 1, 0x3F}, ErrorCode.UNKNOWN_FRAME_TYPE});
        cases.put("type 0x00", new Object[] {new byte[] {0, 0, 0, 1, 0x00}, ErrorCode.UNKNOWN_FRAME_TYPE});
        cases.put("a MSG with a trailing byte", new Object[] {withTrailingByte(msg), ErrorCode.MALFORMED_FRAME});
        cases.put("length 0", new Object[] {new byte[] {0, 0, 0, 0, 0x01}, ErrorCode.MALFORMED_FRAME});
        cases.put("type 0x3F longer than 8 KiB", new Object[] {ByteBuffer.allocate(5).putInt(9000).put((byte) 0x3F)
                .array(), ErrorCode.FRAME_TOO_LARGE});
        cases.put("a CONNECT longer than 8 KiB", new Object[] {FrameCodec.encode(new Connect(1, "n".repeat(9000),
                "test", "", "", 0, false)), ErrorCode.FRAME_TOO_LARGE});
        cases.put("a version-0 CONNECT with a trailing byte", new Object[] {withTrailingByte(FrameCodec.encode(
                new Connect(0, "v0", "test", "", "", 0, false))), ErrorCode.MALFORMED_FRAME});
        for (Map.Entry<String, Object[]> c : cases.entrySet()) {
            try (RawClient client = new RawClient(broker.address())) {
                client.sendRaw((byte[]) c.getValue()[0]);
                Frame f = client.next(WAIT);
                assertThat(f).as(c.getKey()).isInstanceOf(Err.class);
                assertThat(((Err) f).code()).as(c.getKey()).isEqualTo(c.getValue()[1]);
                assertThat(client.awaitClosedByPeer(WAIT)).as(c.getKey()).isTrue();
            }
        }
    }

    @Test
    void afterConnectWrongDirectionIsAViolationUnknownTypesAreUnknownAndAnErrIsIgnored() throws IOException {
        start("");
        byte[] msg = FrameCodec.encode(new Message(1, "a", "", Map.of(), new byte[0]));
        Map<String, Object[]> cases = new LinkedHashMap<>();
        cases.put("a MSG", new Object[] {msg, ErrorCode.PROTOCOL_VIOLATION});
        cases.put("a CONNECTED", new Object[] {FrameCodec.encode(new Connected(1, "n", "v", 1, 1, List.of())),
                ErrorCode.PROTOCOL_VIOLATION});
        cases.put("a second CONNECT", new Object[] {FrameCodec.encode(new Connect(1, "again", "test", "", "", 0,
                false)), ErrorCode.PROTOCOL_VIOLATION});
        cases.put("type 0x3F", new Object[] {new byte[] {0, 0, 0, 1, 0x3F}, ErrorCode.UNKNOWN_FRAME_TYPE});
        cases.put("a MSG with a trailing byte", new Object[] {withTrailingByte(msg), ErrorCode.MALFORMED_FRAME});
        for (Map.Entry<String, Object[]> c : cases.entrySet()) {
            try (RawClient client = RawClient.connected(broker.address(), "c")) {
                client.sendRaw((byte[]) c.getValue()[0]);
                Frame f = client.next(WAIT);
                assertThat(f).as(c.getKey()).isInstanceOf(Err.class);
                assertThat(((Err) f).code()).as(c.getKey()).isEqualTo(c.getValue()[1]);
                assertThat(client.awaitClosedByPeer(WAIT)).as(c.getKey()).isTrue();
            }
        }
        try (RawClient client = RawClient.connected(broker.address(), "err")) {
            client.send(new Err(ErrorCode.INTERNAL_ERROR, "from a client"));
            assertThat(untilPong(client)).as("an ERR from a client is ignored").isEmpty();
        }
    }

    // ------------------------------------------------------------------ sections 8, 9: no_echo

    @Test
    void aNoEchoRequestWhoseOnlyMatchIsTheRequestersOwnSubscriptionGetsNoNoRespondersReply() throws IOException {
        start("");
        try (RawClient self = new RawClient(broker.address());
             RawClient other = RawClient.connected(broker.address(), "other")) {
            self.send(new Connect(FrameCodec.VERSION, "self", "test", "", "", 0, true));
            self.nextOf(Connected.class, WAIT);
            self.send(new Subscribe(1, "svc.echo", ""));
            self.send(new Subscribe(2, "_r.self", ""));
            self.send(new Publish("svc.echo", "_r.self", Map.of(), bytes("request")));
            assertThat(untilPong(self)).as("neither the request nor a no-responders reply").isEmpty();
            self.send(new Publish("svc.nobody", "_r.self", Map.of(), bytes("request")));
            List<Message> replies = messages(untilPong(self));
            assertThat(replies).as("with no match at all: the 503").singleElement()
                    .satisfies(m -> assertThat(Headers.isNoResponders(m.headers())).isTrue());
            // In a queue group, the no_echo publisher's own member is passed over for another one.
            self.send(new Subscribe(3, "work", "g"));
            other.send(new Subscribe(1, "work", "g"));
            self.flush(WAIT);
            other.flush(WAIT);
            for (int i = 0; i < 20; i++) {
                self.send(new Publish("work", bytes("w" + i)));
            }
            assertThat(untilPong(self)).isEmpty();
            assertThat(messages(untilPong(other))).hasSize(20);
        }
    }

    // ------------------------------------------------------------------ section 1: what is forwarded as sent

    @Test
    void invalidUtf8InATopicIsForwardedUnchangedAndMatchedAsReplacementCharacters() throws IOException {
        start("");
        try (WireClient sub = new WireClient(broker.address());
             RawClient pub = RawClient.connected(broker.address(), "pub")) {
            sub.send(new Subscribe(1, "a.>", ""));
            sub.send(new Subscribe(2, "a.\uFFFD", ""));
            sub.send(new Subscribe(3, "a.b", ""));
            sub.send(new Subscribe(4, "a.*", ""));
            sub.flush();
            for (byte bad : new byte[] {(byte) 0xFF, (byte) 0xFE}) {
                byte[] pubFrame = rawPublish(new byte[] {'a', '.', bad}, List.<byte[][]>of(new byte[][] {
                        "k".getBytes(StandardCharsets.UTF_8), {(byte) 0xC3, '('}}));
                pub.sendRaw(pubFrame);
                pub.flush(WAIT);
                Set<Integer> sids = new HashSet<>();
                for (int i = 0; i < 3; i++) {
                    byte[] frame = sub.nextFrame();
                    int sid = ByteBuffer.wrap(frame).getInt(5);
                    sids.add(sid);
                    assertThat(frame).as("MSG for sid %d: the PUB body, byte for byte", sid)
                            .isEqualTo(msgOf(sid, pubFrame));
                }
                assertThat(sids).containsExactlyInAnyOrder(1, 2, 4);
                sub.flush();
            }
        }
    }

    @Test
    void repeatedHeaderKeysAreForwardedAsSent() throws IOException {
        start("");
        try (WireClient sub = new WireClient(broker.address());
             RawClient pub = RawClient.connected(broker.address(), "pub")) {
            sub.send(new Subscribe(4, "h", ""));
            sub.flush();
            byte[] k = "k".getBytes(StandardCharsets.UTF_8);
            byte[] pubFrame = rawPublish("h".getBytes(StandardCharsets.UTF_8), List.of(
                    new byte[][] {k, "1".getBytes(StandardCharsets.UTF_8)},
                    new byte[][] {"other".getBytes(StandardCharsets.UTF_8), "x".getBytes(StandardCharsets.UTF_8)},
                    new byte[][] {k, "2".getBytes(StandardCharsets.UTF_8)}));
            pub.sendRaw(pubFrame);
            assertThat(sub.nextFrame()).isEqualTo(msgOf(4, pubFrame));
        }
    }

    // ------------------------------------------------------------------ section 4.8: errors answer frames in order

    @Test
    void errorsAnswerAConnectionsFramesInTheOrderTheyWereSent() throws IOException {
        start("");
        try (RawClient c = RawClient.connected(broker.address(), "order")) {
            int n = 60;
            for (int i = 0; i < n; i++) {
                c.send(new Publish("ok." + i, bytes("fine")));   // no subscriber: no answer at all
                switch (i % 3) {
                    case 0 -> c.send(new Publish("e" + i + "..x", bytes("bad")));
                    case 1 -> c.send(new Subscribe(i, "p" + i + ".>.x", ""));
                    default -> c.send(Ping.INSTANCE);
                }
            }
            for (int i = 0; i < n; i++) {
                Frame f = c.next(WAIT);
                switch (i % 3) {
                    case 0 -> {
                        assertErr(f, ErrorCode.INVALID_TOPIC);
                        assertThat(((Err) f).reason()).contains("'e" + i + "..x'");
                    }
                    case 1 -> {
                        assertErr(f, ErrorCode.INVALID_PATTERN);
                        assertThat(((Err) f).reason()).startsWith("SUB " + i + ": ");
                    }
                    default -> assertThat(f).as("frame %d", i).isInstanceOf(Pong.class);
                }
            }
        }
    }

    // ------------------------------------------------------------------ section 8: max_msgs

    @Test
    void maxMsgsEndsTheSubscriptionAfterNMoreDeliveriesWithoutAWord() throws IOException {
        start("");
        try (RawClient c = RawClient.connected(broker.address(), "u")) {
            c.send(new Subscribe(5, "t", ""));
            c.send(new Publish("t", bytes("m0")));
            c.send(new Publish("t", bytes("m1")));
            c.send(new Unsubscribe(5, 3));
            for (int i = 2; i < 12; i++) {
                c.send(new Publish("t", bytes("m" + i)));
            }
            List<Frame> frames = untilPong(c);
            assertThat(frames).as("two delivered before the UNSUB was read, three after, nothing else")
                    .hasSize(5).allSatisfy(f -> assertThat(f).isInstanceOf(Message.class));
            assertThat(payloads(messages(frames))).containsExactly("m0", "m1", "m2", "m3", "m4");
            await().atMost(WAIT).until(() -> broker.subscriptionCount() == 0);
            c.send(new Publish("t", bytes("late")));
            assertThat(untilPong(c)).isEmpty();
        }
    }

    // ------------------------------------------------------------------ section 13: setting values

    @Test
    void settingsTakeDurationsAndSizesWithUnitsOrBareNumbers() throws IOException {
        start("courier.heartbeat.interval = 300ms\ncourier.limits { max-payload = 4MiB, max-frame = 5 MiB }");
        Connected connected = connectedFrame();
        assertThat(connected.heartbeatMillis()).isEqualTo(300);
        assertThat(connected.maxPayload()).isEqualTo(4 * 1024 * 1024);
        brokers.stopAll();
        start("courier.heartbeat.interval = 1500\ncourier.limits.max-payload = 1MB");
        connected = connectedFrame();
        assertThat(connected.heartbeatMillis()).as("a bare number of milliseconds").isEqualTo(1500);
        assertThat(connected.maxPayload()).as("MB is decimal").isEqualTo(1_000_000);
    }

    // ------------------------------------------------------------------ helpers

    private Connected connectedFrame() throws IOException {
        try (RawClient c = new RawClient(broker.address())) {
            c.send(new Connect(FrameCodec.VERSION, "settings", "test", "", "", 0, false));
            return c.nextOf(Connected.class, WAIT);
        }
    }

    /** Publishes 4 KiB messages until {@code done} or {@code max} of them; returns how many were sent. */
    private static int floodUntil(RawClient pub, String topic, int max, BooleanSupplier done)
            throws IOException {
        byte[] payload = new byte[4096];
        int sent = 0;
        while (sent < max && !done.getAsBoolean()) {
            pub.send(new Publish(topic, payload));
            sent++;
        }
        return sent;
    }

    private record Ending(int messages, Frame last, boolean closed) { }

    /** Reads until the broker closes the link (or nothing comes for {@link #WAIT}). */
    private static Ending readToEnd(RawClient c) throws IOException {
        int messages = 0;
        Frame last = null;
        Frame f;
        while ((f = c.next(WAIT)) != null) {
            if (f instanceof Message) {
                messages++;
            }
            last = f;
        }
        return new Ending(messages, last, c.closedByPeer());
    }

    /** Sends PING and returns the frames that came before its PONG. */
    private static List<Frame> untilPong(RawClient c) throws IOException {
        c.send(Ping.INSTANCE);
        List<Frame> frames = new ArrayList<>();
        for (Frame f = c.next(WAIT); !(f instanceof Pong); f = c.next(WAIT)) {
            assertThat(f).as("a frame, or the PONG").isNotNull();
            frames.add(f);
        }
        return frames;
    }

    private static List<Message> messages(List<Frame> frames) {
        List<Message> out = new ArrayList<>();
        for (Frame f : frames) {
            assertThat(f).isInstanceOf(Message.class);
            out.add((Message) f);
        }
        return out;
    }

    private static List<String> payloads(List<Message> messages) {
        return messages.stream().map(m -> new String(m.payload(), StandardCharsets.UTF_8)).toList();
    }

    private static void assertErr(Frame f, ErrorCode code) {
        assertThat(f).isInstanceOf(Err.class);
        assertThat(((Err) f).code()).isEqualTo(code);
    }

    private static void assertErrThenClosed(RawClient c, ErrorCode code) throws IOException {
        assertErr(c.next(WAIT), code);
        assertThat(c.awaitClosedByPeer(WAIT)).as("closed after fatal %s", code).isTrue();
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code frame} with one more byte in its body than its fields use. */
    private static byte[] withTrailingByte(byte[] frame) {
        byte[] longer = Arrays.copyOf(frame, frame.length + 1);
        ByteBuffer.wrap(longer).putInt(0, frame.length + 1 - FrameCodec.LENGTH_BYTES);
        return longer;
    }

    /** A PUB frame written field by field, so its strings may hold any bytes; payload "x", no reply topic. */
    private static byte[] rawPublish(byte[] topic, List<byte[][]> headers) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(body);
        out.writeShort(topic.length);
        out.write(topic);
        out.writeShort(0);
        out.writeShort(headers.size());
        for (byte[][] h : headers) {
            out.writeShort(h[0].length);
            out.write(h[0]);
            out.writeShort(h[1].length);
            out.write(h[1]);
        }
        out.writeInt(1);
        out.write('x');
        byte[] b = body.toByteArray();
        return ByteBuffer.allocate(5 + b.length).putInt(1 + b.length).put((byte) 0x03).put(b).array();
    }

    /** The MSG a broker makes of {@code pubFrame} for {@code sid}: sid, then the PUB body unchanged. */
    private static byte[] msgOf(int sid, byte[] pubFrame) {
        int body = pubFrame.length - FrameCodec.HEADER_BYTES;
        return ByteBuffer.allocate(pubFrame.length + 4).putInt(1 + 4 + body).put((byte) 0x06).putInt(sid)
                .put(pubFrame, FrameCodec.HEADER_BYTES, body).array();
    }

    /** A connected client that reads frames as the bytes the broker wrote, undecoded. */
    private static final class WireClient implements AutoCloseable {
        private final Socket socket = new Socket();
        private final DataInputStream in;
        private final OutputStream out;

        WireClient(InetSocketAddress address) throws IOException {
            socket.connect(address, 5000);
            socket.setSoTimeout((int) WAIT.toMillis());
            in = new DataInputStream(socket.getInputStream());
            out = socket.getOutputStream();
            send(new Connect(FrameCodec.VERSION, "wire", "test", "", "", 0, false));
            assertThat(nextFrame()[4]).as("CONNECTED").isEqualTo((byte) 0x02);
        }

        void send(Frame frame) throws IOException {
            out.write(FrameCodec.encode(frame));
            out.flush();
        }

        /** The next frame, length prefix included. */
        byte[] nextFrame() throws IOException {
            int length = in.readInt();
            byte[] frame = new byte[4 + length];
            ByteBuffer.wrap(frame).putInt(length);
            in.readFully(frame, 4, length);
            return frame;
        }

        /** PING, and the next frame must be its PONG. */
        void flush() throws IOException {
            send(Ping.INSTANCE);
            assertThat(nextFrame()).as("PONG, nothing before it").containsExactly(FrameCodec.encode(Pong.INSTANCE));
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
