package io.courier.broker.session;

import io.courier.broker.BrokerStats;
import io.courier.broker.routing.PublisherFlow;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Publisher flow control on a clock of the test's own: how long a publisher waits for the queues it filled, and how
 * the pauses that run out are bounded without taking the pacing from its other subscribers.
 */
class LinkReaderTest {

    private static final Duration PAUSE = Duration.ofSeconds(1);

    private long now = 1_000_000_000L;
    private final FakeTransport transport = new FakeTransport();
    private final FakeIntake intake = new FakeIntake();
    private final LinkReader<Void> reader = new LinkReader<>(intake, new BrokerStats(), PAUSE, failure -> { },
            transport, () -> now);

    @Test
    void aPublisherWaitsForAQueueItFilledUntilItDrains() {
        reader.start();
        Queue healthy = new Queue();
        readFilling(healthy);
        assertThat(transport.paused()).isTrue();
        now += TimeUnit.MILLISECONDS.toNanos(200);
        healthy.drain();
        assertThat(transport.paused()).isFalse();
        assertThat(transport.timers).doesNotContainKey(LinkReader.PAUSE_TIMER);
        assertThat(healthy.stoppedPacing).isFalse();
    }

    @Test
    void afterAPauseRanOutOnAStalledQueueTheNextQueueToFillIsStillWaitedFor() {
        // Before: the publisher was then read without pausing for another publisher-pause, and its burst pushed the
        // healthy subscriber past max-pending.
        reader.start();
        Queue stalled = new Queue();
        readFilling(stalled);
        runOutThePause();
        assertThat(stalled.stoppedPacing).isTrue();
        assertThat(transport.paused()).isFalse();

        Queue healthy = new Queue();
        readFilling(healthy);
        assertThat(transport.paused()).as("waits for the healthy one").isTrue();
        now += TimeUnit.MILLISECONDS.toNanos(300);
        healthy.drain();
        assertThat(transport.paused()).isFalse();
        assertThat(healthy.stoppedPacing).isFalse();
    }

    @Test
    void stallsOneAfterAnotherHoldThePublisherBackAtMostHalfOfTheTimeAfterTheFirstFew() {
        reader.start();
        long start = now;
        long paused = 0;
        int pauses = 0;
        int backToBack = 0;
        boolean stillBackToBack = true;
        long read = TimeUnit.MILLISECONDS.toNanos(10);
        while (now - start < TimeUnit.SECONDS.toNanos(60)) {
            readFilling(new Queue());   // a fresh subscriber that never reads fills its queue on every read
            if (transport.paused()) {
                runOutThePause();
                paused += PAUSE.toNanos();
                pauses++;
                if (stillBackToBack) {
                    backToBack++;
                }
            } else {
                stillBackToBack = false;
                now += read;
            }
        }
        long elapsed = now - start;
        assertThat(backToBack).as("pauses back to back at first").isEqualTo(LinkReader.PAUSE_CREDIT);
        assertThat(paused).as("time held back").isLessThanOrEqualTo(elapsed / 2 + LinkReader.PAUSE_CREDIT
                * PAUSE.toNanos());
        assertThat(paused).as("but the stalls are still waited for, up to the bound")
                .isGreaterThan(elapsed / 2 - 2 * PAUSE.toNanos());
        assertThat(pauses).isGreaterThan(25);
    }

    @Test
    void aRouteIsWaitedForPatientlyAndCostsTheCreditNothing() {
        reader.start();
        Queue route = new Queue();
        route.patient = true;
        readFilling(route);
        for (int i = 0; i < 10; i++) {
            runOutThePause();
            assertThat(transport.paused()).as("still waiting for the route").isTrue();
        }
        route.drain();
        assertThat(transport.paused()).isFalse();
        for (int i = 0; i < LinkReader.PAUSE_CREDIT; i++) {
            Queue stalled = new Queue();
            readFilling(stalled);
            assertThat(transport.paused()).as("pause " + i + " after the route's").isTrue();
            runOutThePause();
        }
    }

    private void readFilling(Queue queue) {
        intake.congested.add(queue);
        transport.reads = 0;
        reader.onBytes(ByteString.emptyByteString());
    }

    private void runOutThePause() {
        assertThat(transport.timers).containsKey(LinkReader.PAUSE_TIMER);
        now += transport.timers.remove(LinkReader.PAUSE_TIMER).toNanos();
        reader.onTimer(LinkReader.PAUSE_TIMER);
    }

    private static final class Queue implements PublisherFlow.Drain {
        boolean patient;
        boolean stoppedPacing;
        Runnable resume;

        @Override
        public void whenDrained(Runnable resume) {
            this.resume = resume;
        }

        @Override
        public void stopPacing() {
            stoppedPacing = true;
        }

        @Override
        public boolean patient() {
            return patient;
        }

        void drain() {
            resume.run();
        }
    }

    /** Whose last bytes filled the queues the test put in {@link #congested}. */
    private static final class FakeIntake extends Intake.Ignoring<Void> {
        final Set<PublisherFlow.Drain> congested = Collections.newSetFromMap(new IdentityHashMap<>());

        @Override
        public Set<PublisherFlow.Drain> congestion() {
            return congested;
        }
    }

    /** Runs what is posted at once and keeps the timers for the test to fire. */
    private static final class FakeTransport implements LinkReader.Transport {
        final Map<String, Duration> timers = new HashMap<>();
        /** Reads asked for since the test last read bytes in. */
        int reads;

        @Override
        public void read() {
            reads++;
        }

        @Override
        public void schedule(String key, Duration delay) {
            timers.put(key, delay);
        }

        @Override
        public void cancelTimer(String key) {
            timers.remove(key);
        }

        @Override
        public boolean isTimerActive(String key) {
            return timers.containsKey(key);
        }

        @Override
        public void post(Runnable task) {
            task.run();
        }

        @Override
        public void fail(Throwable cause) {
            throw new AssertionError(cause);
        }

        /** Whether no read was asked for since the last bytes: the reader waits. */
        boolean paused() {
            return reads == 0;
        }
    }
}
