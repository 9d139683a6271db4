package io.courier.broker.session;

import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.Router;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * One actor per client link, child of the {@link ConnectionsSupervisor}: it materialises the link's stream (the
 * {@link Session} reading in {@link SessionSink}, the {@link Outbox} writing through {@link OutboxSource}), drives
 * the link's timers (connect timeout, heartbeat, drop reports, close timeout), relays the broker's shutdown, and
 * lives exactly as long as the link. If the session's code fails, this actor fails with it, so the supervisor
 * counts and logs it once; the failure never spreads beyond this link.
 */
public final class Connection extends AbstractBehavior<Connection.Command> {

    /** What a connection actor understands. */
    public sealed interface Command permits Tick, Connected, Closing, CloseTimedOut, StreamStopped, Drain { }

    /** A timer that the session acts on. */
    record Tick(Session.Event event) implements Command { }

    record Connected(Duration heartbeat) implements Command { }

    enum Closing implements Command { INSTANCE }

    enum CloseTimedOut implements Command { INSTANCE }

    record StreamStopped(Throwable failure) implements Command { }

    /** The broker is stopping: tell the client, flush, close. */
    public enum Drain implements Command { INSTANCE }

    /** The session's own code threw; the link is closed and the failure is reported by the supervisor. */
    static final class SessionFailed extends RuntimeException {
        SessionFailed(Throwable cause) {
            super("connection handling failed: " + cause, cause);
        }
    }

    /** Largest buffer handed to the TCP stage at once: big enough to amortise a write, small enough to stay fair. */
    private static final int MAX_WRITE_BATCH = 256 * 1024;
    private static final String HEARTBEAT = "heartbeat";
    private static final String DROP_REPORT = "drop-report";

    private final TimerScheduler<Command> timers;
    private final BrokerSettings settings;
    private final Outbox outbox;
    private final Consumer<Session.Event> session;
    private boolean closing;

    public static Behavior<Command> create(Tcp.IncomingConnection incoming, long id, BrokerSettings settings,
                                           BrokerStats stats, Router router, List<String> servers,
                                           Materializer materializer) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new Connection(context, timers, incoming, id, settings, stats, router, servers, materializer)));
    }

    private Connection(ActorContext<Command> context, TimerScheduler<Command> timers,
                       Tcp.IncomingConnection incoming, long id, BrokerSettings settings, BrokerStats stats,
                       Router router, List<String> servers, Materializer materializer) {
        super(context);
        this.timers = timers;
        this.settings = settings;
        ActorRef<Command> self = context.getSelf();
        this.outbox = new Outbox(settings.maxPendingBytes(), settings.slowConsumerPolicy(),
                !settings.publisherPause().isZero(), stats,
                () -> self.tell(new Tick(Session.SlowConsumer.INSTANCE)));
        Session.Owner owner = new Session.Owner() {
            @Override
            public void connected(Duration heartbeat) {
                self.tell(new Connected(heartbeat));
            }

            @Override
            public void closing() {
                self.tell(Closing.INSTANCE);
            }
        };
        Session logic = new Session(id, incoming.remoteAddress(), settings, stats, router, servers, outbox, owner);
        Sink<ByteString, Consumer<Session.Event>> inbound =
                Sink.fromGraph(new SessionSink(logic, settings.publisherPause(),
                        failure -> self.tell(new StreamStopped(failure))));
        Source<ByteString, NotUsed> outbound = Source.fromGraph(new OutboxSource(outbox, MAX_WRITE_BATCH));
        this.session = incoming.handleWith(Flow.fromSinkAndSourceCoupledMat(inbound, outbound, Keep.left()),
                materializer);
        timers.startSingleTimer(new Tick(Session.ConnectTimedOut.INSTANCE), settings.connectTimeout());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Tick.class, tick -> {
                    session.accept(tick.event());
                    return this;
                })
                .onMessage(Connected.class, connected -> {
                    timers.cancel(new Tick(Session.ConnectTimedOut.INSTANCE));
                    timers.startTimerWithFixedDelay(HEARTBEAT, new Tick(Session.HeartbeatTick.INSTANCE),
                            connected.heartbeat());
                    if (settings.slowConsumerPolicy() == BrokerSettings.SlowConsumerPolicy.DROP) {
                        timers.startTimerWithFixedDelay(DROP_REPORT, new Tick(Session.ReportDropped.INSTANCE),
                                settings.dropReportInterval());
                    }
                    return this;
                })
                .onMessageEquals(Closing.INSTANCE, () -> {
                    closing = true;
                    timers.cancelAll();
                    timers.startSingleTimer(CloseTimedOut.INSTANCE, settings.closeTimeout());
                    return this;
                })
                .onMessageEquals(CloseTimedOut.INSTANCE, () -> {
                    outbox.abort(new IllegalStateException("close timed out"));
                    return Behaviors.stopped();
                })
                .onMessageEquals(Drain.INSTANCE, () -> {
                    session.accept(Session.Drain.INSTANCE);
                    return this;
                })
                .onMessage(StreamStopped.class, stopped -> {
                    if (stopped.failure() != null) {
                        throw new SessionFailed(stopped.failure());
                    }
                    return Behaviors.stopped();
                })
                .onSignal(PostStop.class, signal -> {
                    // Whatever stopped this actor, the link goes with it (a no-op if the stream already ended).
                    outbox.abort(new IllegalStateException(closing ? "connection closed" : "connection stopped"));
                    return this;
                })
                .build();
    }
}
