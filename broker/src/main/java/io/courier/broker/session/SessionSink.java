package io.courier.broker.session;

import io.courier.broker.BrokerStats;
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
 * A {@link LinkReader} in a stream: the inbound end of a link whose bytes come through Pekko Streams (a TLS client
 * link, a route from another broker). Materialises to the function that posts the intake's events.
 */
final class SessionSink<E> extends AbstractGraphStageWithMaterializedValue<SinkShape<ByteString>, Consumer<E>> {

    private final Intake<E> session;
    private final BrokerStats stats;
    private final Duration maxPause;
    private final LinkReader.Stopped stopped;
    private final Inlet<ByteString> in = Inlet.create("SessionSink.in");
    private final SinkShape<ByteString> shape = SinkShape.of(in);

    SessionSink(Intake<E> session, BrokerStats stats, Duration maxPause, LinkReader.Stopped stopped) {
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
        return Pair.create(logic, logic.reader::post);
    }

    private final class Logic extends TimerGraphStageLogic implements LinkReader.Transport {
        private final AsyncCallback<Runnable> tasks = createAsyncCallback(Runnable::run);
        private final LinkReader<E> reader = new LinkReader<>(session, stats, maxPause, stopped, this);

        Logic() {
            super(shape);
            setHandler(in, new AbstractInHandler() {
                @Override
                public void onPush() {
                    reader.onBytes(grab(in));
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
            reader.start();
        }

        @Override
        public void read() {
            if (!isClosed(in) && !hasBeenPulled(in)) {
                pull(in);
            }
        }

        @Override
        public void schedule(String key, Duration delay) {
            scheduleOnce(key, delay);
        }

        @Override
        public void cancelTimer(String key) {
            super.cancelTimer(key);
        }

        @Override
        public boolean isTimerActive(String key) {
            return super.isTimerActive(key);
        }

        @Override
        public void post(Runnable task) {
            tasks.invoke(task);
        }

        @Override
        public void fail(Throwable cause) {
            failStage(cause);
        }

        @Override
        public void onTimer(Object key) {
            reader.onTimer(key);
        }

        @Override
        public void postStop() {
            reader.stopped();
        }
    }
}
