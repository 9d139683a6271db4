package io.courier.broker.session;

import io.courier.broker.BrokerSettings.SlowConsumerPolicy;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.PublisherFlow;
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
        Outbox outbox = new Outbox(maxPending, policy, false, new BrokerStats(), overflows::incrementAndGet);
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
            assertThat(outbox.offerMessage(i, body, PublisherFlow.NONE)).isTrue();
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
        outbox.offerMessage(1, ByteString.fromArrayUnsafe(new byte[500]), PublisherFlow.NONE);
        outbox.offerMessage(2, ByteString.fromString("x"), PublisherFlow.NONE);
        assertThat(outbox.nextBatch(100)).isEqualTo(509);
        outbox.writeBatch(ByteBuffer.allocate(509));
        assertThat(outbox.nextBatch(100)).isEqualTo(10);
    }

    @Test
    void disconnectPolicyTellsTheOwnerOnceWhenPendingBytesPassTheLimit() {
        Outbox outbox = outbox(1024, SlowConsumerPolicy.DISCONNECT);
        ByteString body = ByteString.fromArrayUnsafe(new byte[200]);
        for (int i = 0; i < 4; i++) {
            assertThat(outbox.offerMessage(i, body, PublisherFlow.NONE)).isTrue();
        }
        assertThat(outbox.offerMessage(5, body, PublisherFlow.NONE)).isFalse();
        assertThat(outbox.offerMessage(6, body, PublisherFlow.NONE)).isFalse();
        assertThat(overflows).hasValue(1);
        drain(outbox);
        assertThat(outbox.offerMessage(7, body, PublisherFlow.NONE)).as("an overflowed link takes no more messages").isFalse();
        assertThat(overflows).hasValue(1);
    }

    @Test
    void dropPolicyCountsWhatDidNotFitAndTakesMessagesAgainOnceWritten() {
        Outbox outbox = outbox(1024, SlowConsumerPolicy.DROP);
        ByteString body = ByteString.fromArrayUnsafe(new byte[200]);
        for (int i = 0; i < 6; i++) {
            outbox.offerMessage(i, body, PublisherFlow.NONE);
        }
        assertThat(outbox.takeDropped()).isEqualTo(2);
        assertThat(outbox.takeDropped()).isZero();
        drain(outbox);
        assertThat(outbox.offerMessage(9, body, PublisherFlow.NONE)).isTrue();
        assertThat(overflows).hasValue(0);
    }

    @Test
    void wakesAWaitingSourceOnceAndCompletionEndsOffers() {
        Outbox outbox = outbox(1 << 20, SlowConsumerPolicy.DISCONNECT);
        assertThat(outbox.nextBatch(1000)).isZero();
        outbox.offerMessage(1, ByteString.fromString("a"), PublisherFlow.NONE);
        outbox.offerMessage(2, ByteString.fromString("b"), PublisherFlow.NONE);
        assertThat(signals).containsExactly(Outbox.Wake.INSTANCE);
        drain(outbox);
        outbox.complete();
        assertThat(signals).containsExactly(Outbox.Wake.INSTANCE, Outbox.Wake.INSTANCE);
        assertThat(outbox.isCompleting()).isTrue();
        assertThat(outbox.offerMessage(3, ByteString.fromString("c"), PublisherFlow.NONE)).isFalse();
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
                    outbox.offerMessage(publisher, ByteString.fromArrayUnsafe(ByteBuffer.allocate(4).putInt(i).array()), PublisherFlow.NONE);
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

    @Test
    void aFillingOutboxTellsItsPublisherAndResumesItOnceUnderAQuarterOfTheLimit() {
        Outbox outbox = new Outbox(4000, SlowConsumerPolicy.DISCONNECT, true, new BrokerStats(),
                overflows::incrementAndGet);
        outbox.attach(signals::add);
        List<PublisherFlow.Drain> congested = new ArrayList<>();
        PublisherFlow flow = congested::add;
        ByteString body = ByteString.fromArrayUnsafe(new byte[491]);   // 500 bytes as a MSG frame
        for (int i = 0; i < 4; i++) {
            outbox.offerMessage(i, body, flow);
        }
        assertThat(congested).as("2000 bytes pending is not over half of 4000").isEmpty();
        outbox.offerMessage(4, body, flow);
        assertThat(congested).containsExactly(outbox);

        AtomicInteger resumed = new AtomicInteger();
        outbox.whenDrained(resumed::incrementAndGet);
        outbox.nextBatch(1000);
        outbox.writeBatch(ByteBuffer.allocate(1000));
        assertThat(resumed).as("1500 bytes pending is still over a quarter").hasValue(0);
        outbox.nextBatch(500);
        outbox.writeBatch(ByteBuffer.allocate(500));
        assertThat(resumed).as("1000 bytes pending: resumed").hasValue(1);
        outbox.whenDrained(resumed::incrementAndGet);
        assertThat(resumed).as("already drained: resumed at once").hasValue(2);
    }

    @Test
    void afterAPublisherGaveUpWaitingOnlyThePolicyAppliesUntilTheOutboxDrains() {
        Outbox outbox = new Outbox(4000, SlowConsumerPolicy.DISCONNECT, true, new BrokerStats(),
                overflows::incrementAndGet);
        outbox.attach(signals::add);
        List<PublisherFlow.Drain> congested = new ArrayList<>();
        PublisherFlow flow = congested::add;
        ByteString body = ByteString.fromArrayUnsafe(new byte[491]);
        for (int i = 0; i < 5; i++) {
            outbox.offerMessage(i, body, flow);
        }
        outbox.stopPacing();
        congested.clear();
        for (int i = 5; i < 9; i++) {
            outbox.offerMessage(i, body, flow);
        }
        assertThat(congested).isEmpty();
        assertThat(outbox.offerMessage(9, body, flow)).as("over the limit").isFalse();
        assertThat(overflows).hasValue(1);

        Outbox paced = new Outbox(4000, SlowConsumerPolicy.DROP, true, new BrokerStats(), () -> { });
        paced.attach(signals::add);
        for (int i = 0; i < 5; i++) {
            paced.offerMessage(i, body, flow);
        }
        paced.stopPacing();
        drain(paced);
        congested.clear();
        for (int i = 0; i < 5; i++) {
            paced.offerMessage(i, body, flow);
        }
        assertThat(congested).as("drained: pacing again").containsExactly(paced);
    }

    private static void drain(Outbox outbox) {
        int bytes;
        while ((bytes = outbox.nextBatch(1 << 16)) > 0) {
            outbox.writeBatch(ByteBuffer.allocate(bytes));
        }
    }
}
