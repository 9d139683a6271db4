package io.courier.broker.session;

import io.courier.broker.BrokerSettings.SlowConsumerPolicy;
import io.courier.broker.BrokerStats;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameType;
import io.courier.protocol.Pong;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class OutboxTest {

    private static final ByteString PONG = ByteString.fromArrayUnsafe(FrameCodec.encode(Pong.INSTANCE));

    private final AtomicInteger overflows = new AtomicInteger();
    private final List<Outbox.Signal> signals = new ArrayList<>();

    private Outbox outbox(long maxPending, SlowConsumerPolicy policy) {
        Outbox outbox = new Outbox(maxPending, policy, new BrokerStats(), overflows::incrementAndGet);
        outbox.attach(signals::add);
        return outbox;
    }

    @Test
    void writesMessagesAndControlFramesInOrderInBatchesOfAtMostTheMaximum() {
        Outbox outbox = outbox(1 << 20, SlowConsumerPolicy.DISCONNECT);
        ByteBuffer expected = ByteBuffer.allocate(1 << 16);
        for (int i = 0; i < 100; i++) {
            if (i % 7 == 0) {
                outbox.offerControl(PONG);
                expected.put(PONG.toArray());
            }
            ByteString body = ByteString.fromString("body-" + i);
            assertThat(outbox.offerMessage(i, body)).isTrue();
            expected.putInt(1 + 4 + body.size()).put((byte) FrameType.MSG.code()).putInt(i).put(body.toArray());
        }
        ByteBuffer written = ByteBuffer.allocate(1 << 16);
        int batches = 0;
        int bytes;
        while ((bytes = outbox.nextBatch(100)) > 0) {
            assertThat(bytes).isLessThanOrEqualTo(100);
            int before = written.position();
            outbox.writeBatch(written);
            assertThat(written.position() - before).isEqualTo(bytes);
            batches++;
        }
        assertThat(batches).isGreaterThan(10);
        assertThat(written.flip()).isEqualTo(expected.flip());
    }

    @Test
    void aFrameLargerThanTheBatchIsWrittenAlone() {
        Outbox outbox = outbox(1 << 20, SlowConsumerPolicy.DISCONNECT);
        outbox.offerMessage(1, ByteString.fromArrayUnsafe(new byte[500]));
        outbox.offerMessage(2, ByteString.fromString("x"));
        assertThat(outbox.nextBatch(100)).isEqualTo(509);
        outbox.writeBatch(ByteBuffer.allocate(509));
        assertThat(outbox.nextBatch(100)).isEqualTo(10);
    }

    @Test
    void disconnectPolicyTellsTheOwnerOnceWhenPendingBytesPassTheLimit() {
        Outbox outbox = outbox(1024, SlowConsumerPolicy.DISCONNECT);
        ByteString body = ByteString.fromArrayUnsafe(new byte[200]);
        for (int i = 0; i < 4; i++) {
            assertThat(outbox.offerMessage(i, body)).isTrue();
        }
        assertThat(outbox.offerMessage(5, body)).isFalse();
        assertThat(outbox.offerMessage(6, body)).isFalse();
        assertThat(overflows).hasValue(1);
        drain(outbox);
        assertThat(outbox.offerMessage(7, body)).as("an overflowed link takes no more messages").isFalse();
        assertThat(overflows).hasValue(1);
    }

    @Test
    void dropPolicyCountsWhatDidNotFitAndTakesMessagesAgainOnceWritten() {
        Outbox outbox = outbox(1024, SlowConsumerPolicy.DROP);
        ByteString body = ByteString.fromArrayUnsafe(new byte[200]);
        for (int i = 0; i < 6; i++) {
            outbox.offerMessage(i, body);
        }
        assertThat(outbox.takeDropped()).isEqualTo(2);
        assertThat(outbox.takeDropped()).isZero();
        drain(outbox);
        assertThat(outbox.offerMessage(9, body)).isTrue();
        assertThat(overflows).hasValue(0);
    }

    @Test
    void wakesAWaitingSourceOnceAndCompletionEndsOffers() {
        Outbox outbox = outbox(1 << 20, SlowConsumerPolicy.DISCONNECT);
        assertThat(outbox.nextBatch(1000)).isZero();
        outbox.offerMessage(1, ByteString.fromString("a"));
        outbox.offerMessage(2, ByteString.fromString("b"));
        assertThat(signals).containsExactly(Outbox.Wake.INSTANCE);
        drain(outbox);
        outbox.complete();
        assertThat(signals).containsExactly(Outbox.Wake.INSTANCE, Outbox.Wake.INSTANCE);
        assertThat(outbox.isCompleting()).isTrue();
        assertThat(outbox.offerMessage(3, ByteString.fromString("c"))).isFalse();
        assertThat(outbox.nextBatch(1000)).isZero();
    }

    @Test
    void deliversEveryMessageOfConcurrentPublishersInEachPublishersOrder() throws InterruptedException {
        Outbox outbox = outbox(Long.MAX_VALUE / 4, SlowConsumerPolicy.DISCONNECT);
        int publishers = 4;
        int perPublisher = 50_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < publishers; p++) {
            int publisher = p;
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < perPublisher; i++) {
                    outbox.offerMessage(publisher, ByteString.fromArrayUnsafe(ByteBuffer.allocate(4).putInt(i).array()));
                }
            });
            t.start();
            threads.add(t);
        }
        start.countDown();
        int[] next = new int[publishers];
        int received = 0;
        ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
        while (received < publishers * perPublisher) {
            int bytes = outbox.nextBatch(buffer.capacity());
            if (bytes == 0) {
                Thread.onSpinWait();
                continue;
            }
            buffer.clear();
            outbox.writeBatch(buffer);
            buffer.flip();
            while (buffer.hasRemaining()) {
                assertThat(buffer.getInt()).isEqualTo(1 + 4 + 4);
                assertThat(buffer.get()).isEqualTo((byte) FrameType.MSG.code());
                int publisher = buffer.getInt();
                assertThat(buffer.getInt()).isEqualTo(next[publisher]++);
                received++;
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(outbox.nextBatch(1000)).isZero();
    }

    private static void drain(Outbox outbox) {
        int bytes;
        while ((bytes = outbox.nextBatch(1 << 16)) > 0) {
            outbox.writeBatch(ByteBuffer.allocate(bytes));
        }
    }
}
