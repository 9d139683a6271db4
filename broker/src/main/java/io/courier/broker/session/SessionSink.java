package io.courier.broker.session;

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
import java.util.function.Consumer;

/**
 * The inbound end of a client link: runs its {@link Session} on the bytes as they are read, with no actor hop in
 * between, and serialises the session's other {@link Session.Event}s onto the same stage. Materialises to the
 * function that posts such events. When the stage stops, for whatever reason, the session is released and the
 * owner is told, with the exception if the session's own code failed.
 *
 * <p>Publisher flow control happens here: when routing the last bytes filled a subscriber's queue past its
 * high-water mark, the stage reads nothing more from this client until that queue drains or {@code maxPause} has
 * passed (see {@link io.courier.broker.routing.PublisherFlow}).
 */
final class SessionSink extends AbstractGraphStageWithMaterializedValue<SinkShape<ByteString>, Consumer<Session.Event>> {

    /** Told once when the stage has stopped; {@code failure} is set only when the session's code threw. */
    interface Stopped {
        void stopped(Throwable failure);
    }

    private static final String PAUSE_TIMER = "publisher-pause";

    private final Session session;
    private final Duration maxPause;
    private final Stopped stopped;
    private final Inlet<ByteString> in = Inlet.create("SessionSink.in");
    private final SinkShape<ByteString> shape = SinkShape.of(in);

    SessionSink(Session session, Duration maxPause, Stopped stopped) {
        this.session = session;
        this.maxPause = maxPause;
        this.stopped = stopped;
    }

    @Override
    public SinkShape<ByteString> shape() {
        return shape;
    }

    @Override
    public Pair<GraphStageLogic, Consumer<Session.Event>> createLogicAndMaterializedValuePair(Attributes attributes) {
        Logic logic = new Logic();
        return Pair.create(logic, logic.events::invoke);
    }

    private final class Logic extends TimerGraphStageLogic {
        private final AsyncCallback<Session.Event> events = createAsyncCallback(this::onEvent);
        private final AsyncCallback<PublisherFlow.Drain> drained = createAsyncCallback(this::onDrained);
        /** The subscriber queue this publisher waits for, or null while reading. */
        private PublisherFlow.Drain waitingFor;
        private Throwable failure;

        Logic() {
            super(shape);
            setHandler(in, new AbstractInHandler() {
                @Override
                public void onPush() {
                    ByteString bytes = grab(in);
                    try {
                        session.onBytes(bytes);
                    } catch (RuntimeException e) {
                        fail(e);
                        return;
                    }
                    PublisherFlow.Drain congested = session.takeCongestion();
                    if (congested == null) {
                        pull(in);
                    } else {
                        waitingFor = congested;
                        scheduleOnce(PAUSE_TIMER, maxPause);
                        congested.whenDrained(() -> drained.invoke(congested));
                    }
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
            session.attach(events::invoke);
            pull(in);
        }

        private void onDrained(PublisherFlow.Drain queue) {
            if (queue == waitingFor) {
                cancelTimer(PAUSE_TIMER);
                resumeReading();
            }
        }

        @Override
        public void onTimer(Object key) {
            if (waitingFor != null) {
                waitingFor.stopPacing();
                resumeReading();
            }
        }

        private void resumeReading() {
            waitingFor = null;
            if (!isClosed(in) && !hasBeenPulled(in)) {
                pull(in);
            }
        }

        private void onEvent(Session.Event event) {
            try {
                session.onEvent(event);
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        private void fail(RuntimeException e) {
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
