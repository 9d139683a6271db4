package io.courier.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.courier.protocol.Frame;
import io.courier.protocol.FrameType;
import io.courier.protocol.Publish;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The two ways bytes leave: a publishing thread writing its own frame on an idle link, and the writer thread sending
 * what queued up. Whichever way, frames must arrive whole and in order.
 */
class WritePathTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final ClientFixture fixture = ClientFixture.connected(options -> options.heartbeatInterval(Duration.ZERO));

    @BeforeEach
    void startFlushed() throws Exception {
        fixture.connection().flush(WAIT);
    }

    @Test
    void concurrentPublishersKeepTheirOrderAcrossDirectAndWriterWrites() throws Exception {
        CourierConnection connection = (CourierConnection) fixture.connection();
        int threads = 4;
        int perThread = 3000;
        CountDownLatch done = new CountDownLatch(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            String topic = "order." + t;
            Thread publisher = new Thread(() -> {
                try {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int seq = 0; seq < perThread; seq++) {
                        connection.publish(topic, sequencePayload(seq, 1 + random.nextInt(600)));
                        if (random.nextInt(8) == 0) { // a pause now and then leaves the link idle: direct writes
                            LockSupport.parkNanos(random.nextLong(20_000, 200_000));
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                } finally {
                    done.countDown();
                }
            }, "test-publisher-" + t);
            publisher.start();
        }
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(failure.get()).isNull();
        connection.flush(WAIT);

        Map<String, Integer> next = new HashMap<>();
        for (Frame frame : fixture.broker().lastSession().received()) {
            if (frame instanceof Publish p) {
                int seq = checkedSequence(p.payload());
                assertThat(seq).as("next message on %s", p.topic()).isEqualTo(next.getOrDefault(p.topic(), 0));
                next.put(p.topic(), seq + 1);
            }
        }
        for (int t = 0; t < threads; t++) {
            assertThat(next.get("order." + t)).isEqualTo(perThread);
        }
        Outbound.WriteStats stats = connection.writeStats();
        assertThat(stats.direct()).as("batches written by a publishing thread").isPositive();
        assertThat(stats.writer()).as("batches written by the writer thread").isPositive();
    }

    @Test
    void backToBackPublishesShareSocketWrites() throws Exception {
        CourierConnection connection = (CourierConnection) fixture.connection();
        Outbound.WriteStats before = connection.writeStats();
        int messages = 20_000;
        for (int i = 0; i < messages; i++) {
            connection.publish("burst", sequencePayload(i, 64));
        }
        connection.flush(WAIT);
        assertThat(fixture.broker().lastSession().count(FrameType.PUB)).isEqualTo(messages);
        Outbound.WriteStats after = connection.writeStats();
        long writes = after.direct() + after.writer() - before.direct() - before.writer();
        assertThat(writes).as("socket writes for %d back-to-back publishes", messages).isLessThan(messages / 10);
    }

    @Test
    void directWriteTheSocketTakesOnlyInPartIsFinishedByTheWriterBeforeLaterFrames() throws Exception {
        CourierConnection connection = (CourierConnection) fixture.connection();
        FakeBroker.Session session = fixture.broker().lastSession();
        fixture.broker().pauseReading();
        int frameBytes = 60 * 1024; // under Outbound.DIRECT_MAX_BYTES, so on an idle link it is written directly
        AtomicInteger published = new AtomicInteger();
        Thread publisher = new Thread(() -> {
            byte[] next = sequencePayload(0, frameBytes);
            for (int seq = 0; seq < 4000; seq++) {
                byte[] current = next;
                next = sequencePayload(seq + 1, frameBytes); // ready ahead, so the follow-up below goes at once
                connection.publish("big", current);
                published.set(seq + 1);
                if (connection.writeStats().handedOff() > 0) {
                    // The socket filled up during that direct write: this one queues behind its unsent rest.
                    connection.publish("big", next);
                    published.set(seq + 2);
                    return;
                }
                LockSupport.parkNanos(100_000); // the link is idle again before the next frame
            }
        }, "test-publisher");
        publisher.start();
        try {
            publisher.join(WAIT.toMillis());
        } finally {
            fixture.broker().resumeReading();
        }
        assertThat(publisher.isAlive()).isFalse();
        assertThat(connection.writeStats().handedOff()).isEqualTo(1);
        connection.flush(WAIT);

        List<Integer> sequences = new ArrayList<>();
        for (Frame frame : session.received()) {
            if (frame instanceof Publish p) {
                sequences.add(checkedSequence(p.payload()));
            }
        }
        assertThat(sequences).hasSize(published.get());
        for (int i = 0; i < sequences.size(); i++) {
            assertThat(sequences.get(i)).isEqualTo(i);
        }
        assertThat(connection.status()).isEqualTo(ConnectionStatus.CONNECTED);
        assertThat(fixture.broker().acceptedConnections()).isEqualTo(1);
    }

    @Test
    void publishingFromAnInterruptedThreadKeepsTheLink() throws Exception {
        CourierConnection connection = (CourierConnection) fixture.connection();
        long directBefore = connection.writeStats().direct();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // the link has been idle for a while
        Thread.currentThread().interrupt();
        try {
            connection.publish("interrupted", sequencePayload(0, 16));
        } finally {
            assertThat(Thread.interrupted()).isTrue(); // the flag is left alone (and cleared here)
        }
        connection.flush(WAIT);
        assertThat(connection.writeStats().direct()).isGreaterThan(directBefore);
        assertThat(fixture.broker().lastSession().count(FrameType.PUB)).isEqualTo(1);
        assertThat(connection.status()).isEqualTo(ConnectionStatus.CONNECTED);
        assertThat(fixture.broker().acceptedConnections()).isEqualTo(1);
    }

    /** {@code size} bytes: the sequence number, then a pattern derived from it, so a torn frame shows. */
    private static byte[] sequencePayload(int seq, int size) {
        byte[] payload = new byte[Math.max(4, size)];
        ByteBuffer.wrap(payload).putInt(seq);
        for (int i = 4; i < payload.length; i++) {
            payload[i] = (byte) (seq + i);
        }
        return payload;
    }

    private static int checkedSequence(byte[] payload) {
        ByteBuffer buffer = ByteBuffer.wrap(payload);
        int seq = buffer.getInt();
        while (buffer.hasRemaining()) {
            assertThat(buffer.get()).isEqualTo((byte) (seq + buffer.position() - 1));
        }
        return seq;
    }
}
