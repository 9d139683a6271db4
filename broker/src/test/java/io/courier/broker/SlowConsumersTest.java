package io.courier.broker;

import io.courier.client.Connection;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A slow or stalled subscriber never holds anyone else back for long: publisher flow control is bounded for the
 * publisher as a whole, a reader that stays slower than its publishers meets the slow-consumer policy, and the client
 * that is cut is told why.
 */
class SlowConsumersTest extends OneBrokerTest {

    private static final Duration WAIT = Duration.ofSeconds(30);


    private PacedReader reader(String pattern, long bytesPerSecond, int receiveBuffer) throws Exception {
        return brokers.closeAfter(new PacedReader(broker.address(), pattern, bytesPerSecond, receiveBuffer));
    }

    private Connection publisher() throws Exception {
        return brokers.client(broker, "publisher");
    }

    @Test
    void stalledSubscribersHoldAPublisherBackForOnePauseNotOnePauseEach() throws Exception {
        // Before: with 10 subscribers that never read, one publish() blocked for 9.5 s (ten 1 s pauses in a row).
        start("""
                courier.slow-consumer.max-pending = 4 MiB
                courier.slow-consumer.publisher-pause = 500ms
                """);
        List<PacedReader> stalled = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            stalled.add(reader("slow.t", 0, 4096));
        }
        await().atMost(WAIT).until(() -> broker.subscriptionCount() == 10);
        Connection publisher = publisher();
        long longest = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (long i = 0; System.nanoTime() < end && broker.stats().slowConsumers() < 10; i++) {
            long start = System.nanoTime();
            publisher.publish("slow.t", PacedReader.payload(i, 1024));
            longest = Math.max(longest, System.nanoTime() - start);
        }
        assertThat(broker.stats().slowConsumers()).as("every stalled subscriber met the policy").isEqualTo(10);
        assertThat(broker.stats().publisherPauseTimeouts()).as("pauses that ran out").isLessThanOrEqualTo(2);
        assertThat(TimeUnit.NANOSECONDS.toMillis(longest)).as("longest publish() call, ms")
                .isLessThan(2_500);
    }

    @Test
    void aPauseThatRanOutOnAStalledSubscriberStillLeavesTheOthersTheirPacing() throws Exception {
        // Before: after the pause on the stalled one ran out, the publisher was not paused for another
        // publisher-pause, and a reader slower than its burst was pushed past max-pending and cut with it.
        start("""
                courier.slow-consumer.max-pending = 4 MiB
                courier.slow-consumer.publisher-pause = 500ms
                courier.slow-consumer.max-pacing = 20s
                """);
        PacedReader stalled = reader("ranout.t", 0, 4096);
        PacedReader paced = reader("ranout.t", 8_000_000, 0);
        await().atMost(WAIT).until(() -> broker.subscriptionCount() == 2);
        Connection publisher = publisher();
        int messages = 6_000;   // 24 MB: three seconds for the paced reader, far past the stalled one's limit
        for (int i = 0; i < messages; i++) {
            publisher.publish("ranout.t", PacedReader.payload(i, 4096));
        }
        publisher.flush(WAIT);
        await().atMost(WAIT).until(() -> broker.stats().slowConsumers() > 0);
        stalled.readAt(-1);
        assertThat(stalled.awaitEnd(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(stalled.errors()).as("the stalled one met the policy").singleElement().satisfies(e ->
                assertThat(e.code()).isEqualTo(ErrorCode.SLOW_CONSUMER));
        await().atMost(WAIT).until(() -> paced.lastSequence() == messages - 1 || paced.closedByBroker());
        assertThat(paced.errors()).as("the paced reader was not cut").isEmpty();
        assertThat(paced.messages()).isEqualTo(messages);
        assertThat(paced.outOfOrder()).isZero();
        assertThat(broker.stats().slowConsumers()).isEqualTo(1);
        assertThat(broker.stats().publisherPauseTimeouts()).as("pauses that ran out").isPositive();
    }

    @Test
    void aReaderSlowerThanItsPublisherIsCutSoTheFastOneRunsAtItsOwnPaceAndIsToldWhy() throws Exception {
        // Before: a reader at 9 MB/s paced a 40 MB/s publisher and every other subscriber to its speed, for ever,
        // with no error; and a cut reader never saw its ERR.
        start("""
                courier.slow-consumer.max-pending = 4 MiB
                courier.slow-consumer.max-pacing = 1s
                """);
        PacedReader slow = reader("rate.t", 2_000_000, 0);
        PacedReader fast = reader("rate.t", -1, 0);
        await().atMost(WAIT).until(() -> broker.subscriptionCount() == 2);
        Connection publisher = publisher();
        int messages = 8_000;
        for (int i = 0; i < messages; i++) {
            publisher.publish("rate.t", PacedReader.payload(i, 4096));   // 32 MB in all
        }
        publisher.flush(WAIT);
        await().atMost(WAIT).until(() -> fast.messages() == messages);
        assertThat(fast.outOfOrder()).isZero();
        assertThat(slow.awaitEnd(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the slow reader was cut").isTrue();
        assertThat(slow.errors()).as("and told why").singleElement().satisfies(e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.SLOW_CONSUMER);
            assertThat(e.reason()).contains("more slowly than its publishers");
        });
        assertThat(slow.last()).as("the ERR is the last thing it read").isInstanceOf(Err.class);
        assertThat(slow.outOfOrder()).as("what it got before, it got in order").isZero();
    }

    @Test
    void aCutReaderThatReadsWhatItsSocketHeldThenSeesTheErr() throws Exception {
        // Before: the ERR was queued behind a 64 MiB backlog that the close timeout cut: the reader saw a reset.
        start("""
                courier.slow-consumer.max-pending = 64 MiB
                courier.slow-consumer.publisher-pause = 200ms
                """);
        PacedReader stalled = reader("stall.t", 0, 4096);
        await().atMost(WAIT).until(() -> broker.subscriptionCount() == 1);
        Connection publisher = publisher();
        for (long i = 0; broker.stats().slowConsumers() == 0 && i < 200_000; i++) {
            publisher.publish("stall.t", PacedReader.payload(i, 1024));
        }
        // On a loaded machine the client may still hold part of what it was given: let the broker read it.
        await().atMost(WAIT).until(() -> broker.stats().slowConsumers() == 1);
        stalled.readAt(20_000_000);
        assertThat(stalled.awaitEnd(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(stalled.errors()).singleElement().satisfies(e ->
                assertThat(e.code()).isEqualTo(ErrorCode.SLOW_CONSUMER));
        assertThat(stalled.last()).isInstanceOf(Err.class);
        assertThat(broker.stats().discardedOnCut()).as("the backlog was discarded, not written").isPositive();
    }
}
