package io.courier.broker.session;

import io.courier.broker.BrokerStats;
import io.courier.broker.Failures;
import io.courier.broker.routing.PublisherFlow;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.SinkShape;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The inbound end of a client link: runs its {@link Session} on the bytes as they are read, with no actor hop in
 * between, and serialises the session's other {@link Session.Event}s onto the same stage. Materialises to the
 * function that posts such events. When the stage stops, for whatever reason, the session is released and the
 * owner is told, with the exception if the session's own code failed.
 *
 * <p>Publisher flow control happens here: when routing the last bytes filled subscriber queues past their high-water
 * mark, the stage reads nothing more from this client until all of those queues drain or {@code maxPause} has
 * passed (see {@link io.courier.broker.routing.PublisherFlow}). The bound holds for the publisher as a whole: the
 * queues it filled are waited for together, and after a pause that ran out the publisher is not paused again for
 * another {@code maxPause}, so however many of its subscribers stall it is held back at most half of the time.
 *
 * <p>A failure of the session's own code fails the stage (and so the link); {@link Failures#containable} decides
 * which failures are the link's alone. The others (out of memory) propagate and stop the process.
 */
final class SessionSink<E> extends AbstractGraphStageWithMaterializedValue<SinkShape<ByteString>, Consumer<E>> {

    /** Told once when the stage has stopped; {@code failure} is set only when the session's code threw. */
    interface Stopped {
        void stopped(Throwable failure);
    }

    private static final String PAUSE_TIMER = "publisher-pause";
    private static final String RATE_TIMER = "publish-rate";

    private final Intake<E> session;
    private final BrokerStats stats;
    private final Duration maxPause;
    private final Stopped stopped;
    private final Inlet<ByteString> in = Inlet.create("SessionSink.in");
    private final SinkShape<ByteString> shape = SinkShape.of(in);

    SessionSink(Intake<E> session, BrokerStats stats, Duration maxPause, Stopped stopped) {
        this.session = session;
        this.stats = stats;
        this.maxPause = maxPause;
        this.stopped = stopped;
    }

    @Override
    public SinkShape<ByteString> shape() {
        return shape;
    }

    @Override
    public Pair<GraphStageLogic, Consumer<E>> createLogicAndMaterializedValuePair(Attributes attributes) {
        Logic logic = new Logic();
        return Pair.create(logic, logic.events::invoke);
    }

    private final class Logic extends TimerGraphStageLogic {
        private final AsyncCallback<E> events = createAsyncCallback(this::onEvent);
        private final AsyncCallback<PublisherFlow.Drain> drained = createAsyncCallback(this::onDrained);
        /** The subscriber queues this publisher waits for; empty while reading. */
        private final Set<PublisherFlow.Drain> waitingFor = Collections.newSetFromMap(new IdentityHashMap<>());
        /** Until when (System.nanoTime) this publisher is not paused again, after a pause that ran out. */
        private long noPauseUntil;
        private Throwable failure;

        Logic() {
            super(shape);
            setHandler(in, new AbstractInHandler() {
                @Override
                public void onPush() {
                    ByteString bytes = grab(in);
                    try {
                        session.onBytes(bytes);
                    } catch (RuntimeException | Error e) {
                        fail(e);
                        return;
                    }
                    long overRate = session.takeOverRate();
                    if (overRate > 0 && !session.isDraining()) {
                        // Over its publish rate: read this link later, and TCP slows its client meanwhile.
                        scheduleOnce(RATE_TIMER, Duration.ofNanos(overRate));
                        return;
                    }
                    pauseOrRead(session.congestion());
                }

                @Override
                public void onUpstreamFinish() {
                    completeStage();
                }

                @Override
                public void onUpstreamFailure(Throwable ex) {
                    // The socket failed (reset, abort): the link is gone, but nothing in the session went wrong.
                    completeStage();
                }
            });
        }

        @Override
        public void preStart() {
            noPauseUntil = System.nanoTime();
            session.attach(events::invoke);
            pull(in);
        }

        /** Reads on, or waits for every queue in {@code congested} to drain (which empties it). */
        private void pauseOrRead(Set<PublisherFlow.Drain> congested) {
            if (congested.isEmpty() || System.nanoTime() - noPauseUntil < 0) {
                congested.clear();
                pull(in);
                return;
            }
            List<PublisherFlow.Drain> queues = new ArrayList<>(congested);
            congested.clear();
            waitingFor.addAll(queues);
            stats.publisherPaused();
            scheduleOnce(PAUSE_TIMER, maxPause);
            for (PublisherFlow.Drain queue : queues) {
                queue.whenDrained(() -> drained.invoke(queue));
            }
        }

        private void onDrained(PublisherFlow.Drain queue) {
            if (waitingFor.remove(queue) && waitingFor.isEmpty()) {
                cancelTimer(PAUSE_TIMER);
                resumeReading();
            }
        }

        @Override
        public void onTimer(Object key) {
            if (RATE_TIMER.equals(key)) {
                pauseOrRead(session.congestion());
                return;
            }
            if (waitingFor.isEmpty()) {
                return;
            }
            // Routes to other brokers are waited for patiently (their link is cut if the broker is unreachable).
            waitingFor.removeIf(queue -> {
                if (queue.patient()) {
                    return false;
                }
                queue.stopPacing();
                return true;
            });
            stats.publisherPauseTimedOut();
            if (waitingFor.isEmpty()) {
                noPauseUntil = System.nanoTime() + maxPause.toNanos();
                resumeReading();
            } else {
                scheduleOnce(PAUSE_TIMER, maxPause);
            }
        }

        private void resumeReading() {
            if (!isClosed(in) && !hasBeenPulled(in)) {
                pull(in);
            }
        }

        private void onEvent(E event) {
            try {
                session.onEvent(event);
            } catch (RuntimeException | Error e) {
                fail(e);
                return;
            }
            if (session.isDraining() && (!waitingFor.isEmpty() || isTimerActive(RATE_TIMER))) {
                // A paused publisher must be read again: the broker waits for it to say it stopped publishing.
                waitingFor.clear();
                cancelTimer(PAUSE_TIMER);
                cancelTimer(RATE_TIMER);
                resumeReading();
            }
        }

        private void fail(Throwable e) {
            if (!Failures.containable(e)) {
                throw (Error) e;
            }
            failure = e;
            failStage(e);
        }

        @Override
        public void postStop() {
            try {
                session.release();
            } finally {
                stopped.stopped(failure);
            }
        }
    }
}
