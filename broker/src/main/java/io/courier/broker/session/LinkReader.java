package io.courier.broker.session;

import io.courier.broker.BrokerStats;
import io.courier.broker.Failures;
import io.courier.broker.routing.PublisherFlow;
import org.apache.pekko.util.ByteString;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The inbound end of a link, whatever carries its bytes (a {@link ChannelLink} on a socket, a {@link SessionSink} in
 * a stream): runs its {@link Intake} on the bytes as they are read, with no hop in between, serialises the intake's
 * other events onto the link's thread, and decides when the next bytes are read. When the link stops, for whatever
 * reason, the intake is released and the owner is told, with the exception if the intake's own code failed.
 *
 * <p>Publisher flow control happens here: when routing the last bytes filled subscriber queues past their high-water
 * mark, nothing more is read from this client until all of those queues drain or {@code maxPause} has passed (see
 * {@link PublisherFlow}). The bound holds for the publisher as a whole: the queues it filled are waited for
 * together, and pauses that run out draw on a credit of {@link #PAUSE_CREDIT} pauses that time earns back at half
 * its pace, so however many of its subscribers stall one after another it is held back at most half of the time
 * after the first few. A pause that ran out does not stop the next one: the stalled queue has stopped pacing, and
 * the publisher's other subscribers must still be waited for, or its next burst pushes them over their limit.
 *
 * <p>A failure of the intake's own code fails the link; {@link Failures#containable} decides which failures are the
 * link's alone. The others (out of memory) propagate and stop the process.
 *
 * <p>Every method runs on the link's thread (the transport's).
 */
final class LinkReader<E> {

    /** Told once when the link has stopped; {@code failure} is set only when the intake's code threw. */
    interface Stopped {
        void stopped(Throwable failure);
    }

    /** What the link's transport does for its reader, on the link's thread. */
    interface Transport {
        /** Reads the next bytes when they come (once per call). */
        void read();

        /** Calls {@link #onTimer} with {@code key} after {@code delay}, replacing a timer of the same key. */
        void schedule(String key, Duration delay);

        void cancelTimer(String key);

        boolean isTimerActive(String key);

        /** Runs {@code task} on the link's thread, after what runs now; never once the link has stopped. */
        void post(Runnable task);

        /** The intake's code failed: close the link. */
        void fail(Throwable cause);
    }

    static final String PAUSE_TIMER = "publisher-pause";
    static final String RATE_TIMER = "publish-rate";
    /** Pauses that may run out back to back before the credit, not the queues, decides. */
    static final int PAUSE_CREDIT = 2;

    private final Intake<E> intake;
    private final BrokerStats stats;
    private final Duration maxPause;
    private final Stopped stopped;
    private final Transport transport;
    private final LongSupplier clock;
    /** The subscriber queues this publisher waits for; empty while reading. */
    private final Set<PublisherFlow.Drain> waitingFor = Collections.newSetFromMap(new IdentityHashMap<>());
    /**
     * Nanoseconds of pauses that may still run out: spent by each that does, earned back at half the time passing,
     * up to {@link #PAUSE_CREDIT} pauses. With less than one pause left, the publisher is read on unpaused.
     */
    private long pauseCredit;
    /** When (on {@link #clock}) {@link #pauseCredit} was last brought up to date. */
    private long creditAt;
    private Throwable failure;

    LinkReader(Intake<E> intake, BrokerStats stats, Duration maxPause, Stopped stopped, Transport transport) {
        this(intake, stats, maxPause, stopped, transport, System::nanoTime);
    }

    /** @param clock System.nanoTime, or a test's */
    LinkReader(Intake<E> intake, BrokerStats stats, Duration maxPause, Stopped stopped, Transport transport,
               LongSupplier clock) {
        this.intake = intake;
        this.stats = stats;
        this.maxPause = maxPause;
        this.stopped = stopped;
        this.transport = transport;
        this.clock = clock;
    }

    /** Posts an event to the intake, from any thread. */
    void post(E event) {
        transport.post(() -> onEvent(event));
    }

    void start() {
        pauseCredit = PAUSE_CREDIT * maxPause.toNanos();
        creditAt = clock.getAsLong();
        intake.attach(this::post);
        transport.read();
    }

    void onBytes(ByteString bytes) {
        try {
            intake.onBytes(bytes);
        } catch (RuntimeException | Error e) {
            fail(e);
            return;
        }
        long overRate = intake.takeOverRate();
        if (overRate > 0 && !intake.isDraining()) {
            // Over its publish rate: read this link later, and TCP slows its client meanwhile.
            transport.schedule(RATE_TIMER, Duration.ofNanos(overRate));
            return;
        }
        pauseOrRead(intake.congestion());
    }

    /** Reads on, or waits for every queue in {@code congested} to drain (which empties it). */
    private void pauseOrRead(Set<PublisherFlow.Drain> congested) {
        if (congested.isEmpty() || creditNow() < maxPause.toNanos()) {
            congested.clear();
            transport.read();
            return;
        }
        List<PublisherFlow.Drain> queues = new ArrayList<>(congested);
        congested.clear();
        waitingFor.addAll(queues);
        stats.publisherPaused();
        transport.schedule(PAUSE_TIMER, maxPause);
        for (PublisherFlow.Drain queue : queues) {
            queue.whenDrained(() -> transport.post(() -> onDrained(queue)));
        }
    }

    /** The pause credit, brought up to date. */
    private long creditNow() {
        long now = clock.getAsLong();
        pauseCredit = Math.min(PAUSE_CREDIT * maxPause.toNanos(), pauseCredit + (now - creditAt) / 2);
        creditAt = now;
        return pauseCredit;
    }

    private void onDrained(PublisherFlow.Drain queue) {
        if (waitingFor.remove(queue) && waitingFor.isEmpty()) {
            transport.cancelTimer(PAUSE_TIMER);
            transport.read();
        }
    }

    void onTimer(Object key) {
        if (RATE_TIMER.equals(key)) {
            pauseOrRead(intake.congestion());
            return;
        }
        if (waitingFor.isEmpty()) {
            return;
        }
        // Routes to other brokers are waited for patiently (their link is cut if the broker is unreachable).
        boolean gaveUp = waitingFor.removeIf(queue -> {
            if (queue.patient()) {
                return false;
            }
            queue.stopPacing();
            return true;
        });
        stats.publisherPauseTimedOut();
        if (gaveUp) {
            pauseCredit = creditNow() - maxPause.toNanos();
        }
        if (waitingFor.isEmpty()) {
            transport.read();
        } else {
            transport.schedule(PAUSE_TIMER, maxPause);
        }
    }

    private void onEvent(E event) {
        try {
            intake.onEvent(event);
        } catch (RuntimeException | Error e) {
            fail(e);
            return;
        }
        if (intake.isDraining() && (!waitingFor.isEmpty() || transport.isTimerActive(RATE_TIMER))) {
            // A paused publisher must be read again: the broker waits for it to say it stopped publishing.
            waitingFor.clear();
            transport.cancelTimer(PAUSE_TIMER);
            transport.cancelTimer(RATE_TIMER);
            transport.read();
        }
    }

    private void fail(Throwable e) {
        if (!Failures.containable(e)) {
            throw (Error) e;
        }
        failure = e;
        transport.fail(e);
    }

    /** The link has stopped: called once, whatever stopped it. */
    void stopped() {
        try {
            intake.release();
        } finally {
            stopped.stopped(failure);
        }
    }
}
