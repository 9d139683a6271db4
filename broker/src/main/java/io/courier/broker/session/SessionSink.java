package io.courier.broker.session;

import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.SinkShape;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

import java.util.function.Consumer;

/**
 * The inbound end of a client link: runs its {@link Session} on the bytes as they are read, with no actor hop in
 * between, and serialises the session's other {@link Session.Event}s onto the same stage. Materialises to the
 * function that posts such events. When the stage stops, for whatever reason, the session is released and the
 * owner is told, with the exception if the session's own code failed.
 */
final class SessionSink extends AbstractGraphStageWithMaterializedValue<SinkShape<ByteString>, Consumer<Session.Event>> {

    /** Told once when the stage has stopped; {@code failure} is set only when the session's code threw. */
    interface Stopped {
        void stopped(Throwable failure);
    }

    private final Session session;
    private final Stopped stopped;
    private final Inlet<ByteString> in = Inlet.create("SessionSink.in");
    private final SinkShape<ByteString> shape = SinkShape.of(in);

    SessionSink(Session session, Stopped stopped) {
        this.session = session;
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

    private final class Logic extends GraphStageLogic {
        private final AsyncCallback<Session.Event> events = createAsyncCallback(this::onEvent);
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
                    pull(in);
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
