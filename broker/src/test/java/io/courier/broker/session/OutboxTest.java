package io.courier.broker.session;

import io.courier.broker.BrokerSettings.SlowConsumerPolicy;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.PublisherFlow;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameType;
import io.courier.protocol.Pong;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class OutboxTest {

    private static final ByteString PONG = ByteString.fromArrayUnsafe(FrameCodec.encode(Pong.INSTANCE));

    private final AtomicInteger overflows = new AtomicInteger();
    private final List<Outbox.Signal> signals = new ArrayList<>();

    private final List<String> slowReasons = new ArrayList<>();

    private Outbox outbox(long maxPending, SlowConsumerPolicy policy) {
        return outbox(maxPending, policy, false, 0);
    }

    private Outbox outbox(long maxPending, SlowConsumerPolicy policy, boolean pace, long maxPacingNanos) {
        return outbox(new Outbox.Limits(maxPending, policy, pace, maxPacingNanos), unlimited());
    }

    private Outbox outbox(Outbox.Limits limits, Budget budget) {
        Outbox outbox = new Outbox(limits, new BrokerStats(), budget, new AtomicBoolean(), reason -> {
            overflows.incrementAndGet();
            slowReasons.add(reason);
        });
        outbox.attach(signals::add);
        return outbox;
    }

    private static Budget unlimited() {
        return new Budget("test", Long.MAX_VALUE / 4);
    }

    /** One batch as the source writes it: counted, written, then confirmed by the socket stage's next demand. */
    private static int writeOne(Outbox outbox, int maxBytes) {
        int bytes = outbox.nextBatch(maxBytes);
        if (bytes > 0) {
            outbox.writeBatch(ByteBuffer.allocate(bytes));
            outbox.demand();
        }
        return bytes;
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
            outbox.demand();
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
        Outbox outbox = outbox(4000, SlowConsumerPolicy.DISCONNECT, true, 0);
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
        writeOne(outbox, 1000);
        assertThat(resumed).as("1500 bytes pending is still over a quarter").hasValue(0);
        outbox.nextBatch(500);
        outbox.writeBatch(ByteBuffer.allocate(500));
        assertThat(resumed).as("written but not yet taken by the socket: still pending").hasValue(0);
        outbox.demand();
        assertThat(resumed).as("1000 bytes pending: resumed").hasValue(1);
        outbox.whenDrained(resumed::incrementAndGet);
        assertThat(resumed).as("already drained: resumed at once").hasValue(2);
    }

    @Test
    void afterAPublisherGaveUpWaitingOnlyThePolicyAppliesUntilTheOutboxDrains() {
        Outbox outbox = outbox(4000, SlowConsumerPolicy.DISCONNECT, true, 0);
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

        Outbox paced = outbox(4000, SlowConsumerPolicy.DROP, true, 0);
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

    @Test
    void aPublisherWaitingForTheDrainIsResumedEvenWhenTheDrainRacesItsRegistration() throws Exception {
        // whenDrained (a publisher's thread) against the source confirming the write that empties the queue: in the
        // old order (read the written count, then raise the watch flag) about 1.5% of such races left the publisher
        // waiting for a drain that had already happened.
        Outbox outbox = outbox(4000, SlowConsumerPolicy.DISCONNECT, true, 0);
        ByteString body = ByteString.fromArrayUnsafe(new byte[491]);
        int races = 100_000;
        AtomicInteger go = new AtomicInteger(-1);
        AtomicInteger registered = new AtomicInteger(-1);
        AtomicBoolean[] resumed = new AtomicBoolean[1];
        Thread publisher = new Thread(() -> {
            for (int r = 0; r < races; r++) {
                while (go.get() != r) {
                    Thread.onSpinWait();
                }
                spin(ThreadLocalRandom.current().nextInt(64));
                AtomicBoolean flag = new AtomicBoolean();
                resumed[0] = flag;
                outbox.whenDrained(() -> flag.set(true));
                registered.set(r);
            }
        });
        publisher.setDaemon(true);
        publisher.start();
        int lost = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int r = 0; r < races; r++) {
            for (int i = 0; i < 5; i++) {
                outbox.offerMessage(i, body, PublisherFlow.NONE);   // 2500 bytes: over the 1000-byte low-water mark
            }
            int bytes = outbox.nextBatch(1 << 16);
            outbox.writeBatch(ByteBuffer.allocate(bytes));
            go.set(r);
            spin(ThreadLocalRandom.current().nextInt(64));
            outbox.demand();                                           // everything written: 0 bytes pending
            while (registered.get() != r) {
                Thread.onSpinWait();
                assertThat(System.nanoTime()).as("the publisher thread keeps up").isLessThan(deadline);
            }
            if (!resumed[0].get()) {
                lost++;
            }
        }
        publisher.join();
        assertThat(lost).as("publishers left waiting although their queue had drained").isZero();
    }

    @Test
    void aCutDiscardsTheBacklogAndWritesItsErrNextThenEnds() {
        BrokerStats stats = new BrokerStats();
        Outbox outbox = new Outbox(new Outbox.Limits(1 << 20, SlowConsumerPolicy.DISCONNECT, false, 0), stats,
                unlimited(), new AtomicBoolean(), reason -> { });
        outbox.attach(signals::add);
        ByteString body = ByteString.fromArrayUnsafe(new byte[91]);   // 100 bytes as a MSG
        for (int i = 0; i < 50; i++) {
            outbox.offerMessage(i, body, PublisherFlow.NONE);
        }
        assertThat(writeOne(outbox, 1000)).as("ten messages written before the cut").isEqualTo(1000);
        for (int i = 0; i < 50; i++) {
            outbox.offerMessage(i, body, PublisherFlow.NONE);
        }
        ByteString err = ByteString.fromArrayUnsafe(FrameCodec.encode(new Err(ErrorCode.SLOW_CONSUMER, "slow")));
        assertThat(outbox.cut(err)).as("the 50 queued after the write").isEqualTo(50);
        assertThat(outbox.offerMessage(1, body, PublisherFlow.NONE)).isFalse();

        int bytes = outbox.nextBatch(1 << 16);
        ByteBuffer next = ByteBuffer.allocate(bytes);
        outbox.writeBatch(next);
        assertThat(next.flip()).as("the ERR comes next, alone").isEqualTo(err.asByteBuffer());
        outbox.demand();
        assertThat(outbox.nextBatch(1 << 16)).isZero();
        assertThat(outbox.isCompleting()).isTrue();
        assertThat(stats.discardedOnCut()).as("the 50 queued and the 40 the source held, unwritten").isEqualTo(90);
    }

    @Test
    void anUrgentFrameIsWrittenBeforeEverythingQueued() {
        Outbox outbox = outbox(1 << 20, SlowConsumerPolicy.DISCONNECT);
        outbox.offerMessage(1, ByteString.fromString("a"), PublisherFlow.NONE);
        outbox.offerUrgent(PONG);
        ByteBuffer out = ByteBuffer.allocate(outbox.nextBatch(1 << 16));
        outbox.writeBatch(out);
        out.flip();
        assertThat(out.slice().limit(PONG.size())).isEqualTo(PONG.asByteBuffer());
        assertThat(out.get(PONG.size() + 4)).isEqualTo((byte) FrameType.MSG.code());
    }

    @Test
    void aBatchCountsAsPendingUntilTheSocketStageAsksForMore() {
        Outbox outbox = outbox(1024, SlowConsumerPolicy.DROP);
        ByteString body = ByteString.fromArrayUnsafe(new byte[191]);   // 200 bytes as a MSG
        for (int i = 0; i < 5; i++) {
            outbox.offerMessage(i, body, PublisherFlow.NONE);
        }
        int bytes = outbox.nextBatch(1 << 16);
        outbox.writeBatch(ByteBuffer.allocate(bytes));
        assertThat(outbox.offerMessage(6, body, PublisherFlow.NONE)).as("the TCP stage still holds 1000 bytes")
                .isFalse();
        outbox.demand();
        assertThat(outbox.offerMessage(7, body, PublisherFlow.NONE)).isTrue();
    }

    @Test
    void aLinkThatNeverReadsWhatItAsksForIsCutWhateverThePolicy() {
        Outbox outbox = outbox(1000, SlowConsumerPolicy.DROP);
        int queued = 0;
        while (outbox.offerControl(PONG)) {
            queued++;
        }
        assertThat(queued * PONG.size()).isLessThanOrEqualTo(1250).isGreaterThan(1200);
        assertThat(overflows).hasValue(1);
        assertThat(slowReasons.get(0)).contains("does not read");
    }

    @Test
    void whenTheBrokerWideBudgetIsUsedUpOnlyBacklogsAreRefused() {
        Budget budget = new Budget("queued", 2 * 1024 * 1024);
        Outbox.Limits limits = new Outbox.Limits(32 << 20, SlowConsumerPolicy.DISCONNECT, false, 0);
        Outbox backlog = outbox(limits, budget);
        ByteString big = ByteString.fromArrayUnsafe(new byte[64 * 1024]);
        int accepted = 0;
        while (backlog.offerMessage(1, big, PublisherFlow.NONE)) {
            accepted++;
        }
        assertThat((long) accepted * big.size()).isBetween(1024L * 1024, 2L * 1024 * 1024);
        assertThat(slowReasons).singleElement().asString().contains("memory for queued messages");

        Outbox small = outbox(limits, budget);
        assertThat(small.offerMessage(1, big, PublisherFlow.NONE)).as("a queue without a backlog still takes one")
                .isTrue();
        backlog.abort(new IllegalStateException("closed"));
        small.abort(new IllegalStateException("closed"));
        assertThat(budget.used()).as("closed links give their reservations back").isZero();
    }

    @Test
    void aReaderThatKeepsItsPublishersPacedWhileItsSocketIsTheBottleneckIsASlowConsumer() throws Exception {
        long maxPacing = TimeUnit.MILLISECONDS.toNanos(100);
        Outbox slow = outbox(40_000, SlowConsumerPolicy.DISCONNECT, true, maxPacing);
        Outbox busyBroker = outbox(40_000, SlowConsumerPolicy.DISCONNECT, true, maxPacing);
        ByteString body = ByteString.fromArrayUnsafe(new byte[991]);   // 1000 bytes as a MSG
        for (int i = 0; i < 30; i++) {
            slow.offerMessage(i, body, PublisherFlow.NONE);
            busyBroker.offerMessage(i, body, PublisherFlow.NONE);
        }
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(600);
        while (System.nanoTime() < end) {
            // The slow reader: the socket stage takes its time before asking for more.
            slow.writeBatch(ByteBuffer.allocate(slow.nextBatch(2000)));
            Thread.sleep(4);
            slow.demand();
            slow.offerMessage(1, body, PublisherFlow.NONE);
            slow.offerMessage(2, body, PublisherFlow.NONE);
            // The busy broker: the socket takes each batch at once; the time goes elsewhere.
            busyBroker.writeBatch(ByteBuffer.allocate(busyBroker.nextBatch(2000)));
            busyBroker.demand();
            Thread.sleep(1);
            busyBroker.offerMessage(1, body, PublisherFlow.NONE);
            busyBroker.offerMessage(2, body, PublisherFlow.NONE);
        }
        assertThat(slowReasons).singleElement().asString().startsWith("it read more slowly than its publishers");
    }

    private static void spin(int n) {
        for (int i = 0; i < n; i++) {
            Thread.onSpinWait();
        }
    }

    private static void drain(Outbox outbox) {
        while (writeOne(outbox, 1 << 16) > 0) {
            // until nothing is queued
        }
    }
}
