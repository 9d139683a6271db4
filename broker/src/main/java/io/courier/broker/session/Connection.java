package io.courier.broker.session;

import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.Router;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.stream.Materializer;

import io.courier.broker.routing.LastValues;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * One actor per client link, child of the {@link ConnectionsSupervisor}: it starts the link (the {@link Session}
 * reading what the client sends, the {@link Outbox} writing to it; see {@link Incoming#run}), drives
 * the link's timers (connect timeout, heartbeat, frame deadline, drop reports, close timeout), relays the broker's
 * shutdown, and lives exactly as long as the link. If the link's handling fails (its session's code, or delivering
 * to it on a publisher's thread), this actor fails with the cause once the link has closed, so the supervisor counts
 * and logs it once; the failure never spreads beyond this link.
 */
public final class Connection extends AbstractBehavior<Connection.Command> {

    /** What a connection actor understands. */
    public sealed interface Command permits Tick, Connected, Closing, CloseTimedOut, StreamStopped, Quiesced,
            Failed, Drain, FinishDrain, Cut, Evict, Servers, UdpHello { }

    /** A timer or a report that the session acts on. */
    record Tick(Session.Event event) implements Command { }

    record Connected(Duration heartbeat) implements Command { }

    enum Closing implements Command { INSTANCE }

    enum CloseTimedOut implements Command { INSTANCE }

    record StreamStopped(Throwable failure) implements Command { }

    enum Quiesced implements Command { INSTANCE }

    record Failed(Throwable cause) implements Command { }

    /** The broker is stopping: tell the client and serve it until it has stopped publishing. */
    public enum Drain implements Command { INSTANCE }

    /** Every client has stopped publishing: flush and close. */
    public enum FinishDrain implements Command { INSTANCE }

    /** The shutdown deadline passed: close the socket now. */
    public enum Cut implements Command { INSTANCE }

    /** Still in the handshake while newer connections need the room: close. */
    public enum Evict implements Command { INSTANCE }

    /** The servers clients may reconnect to changed. */
    public record Servers(List<String> servers) implements Command { }

    /** A HELLO datagram with the session's token came from {@code from}. */
    record UdpHello(UdpBinding binding, InetSocketAddress from) implements Command { }

    /** The link's handling threw; the link is closed and the failure is reported by the supervisor. */
    static final class SessionFailed extends RuntimeException {
        SessionFailed(Throwable cause) {
            super("connection handling failed: " + cause, cause);
        }
    }

    private static final String HEARTBEAT = "heartbeat";
    private static final String FRAME_CHECK = "frame-check";
    private static final String DROP_REPORT = "drop-report";

    private final long id;
    private final TimerScheduler<Command> timers;
    private final BrokerSettings settings;
    private final BrokerStats stats;
    private final Router router;
    private final LastValues lastValues;
    private final ActorRef<ConnectionsSupervisor.Command> supervisor;
    private final Outbox outbox;
    private final Consumer<Session.Event> session;
    private boolean closing;
    /** Set once the broker is stopping: the supervisor's deadline, not close-timeout, then bounds the close. */
    private boolean draining;
    private Throwable failure;

    public static Behavior<Command> create(Incoming incoming, long id, BrokerSettings settings,
                                           BrokerStats stats, Router router, Capacity capacity, UdpSide udp,
                                           List<String> servers, Materializer materializer,
                                           ActorRef<ConnectionsSupervisor.Command> supervisor) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> new Connection(context, timers, incoming,
                id, settings, stats, router, capacity, udp, servers, materializer, supervisor)));
    }

    private Connection(ActorContext<Command> context, TimerScheduler<Command> timers,
                       Incoming incoming, long id, BrokerSettings settings, BrokerStats stats,
                       Router router, Capacity capacity, UdpSide udp, List<String> servers,
                       Materializer materializer, ActorRef<ConnectionsSupervisor.Command> supervisor) {
        super(context);
        this.id = id;
        this.timers = timers;
        this.settings = settings;
        this.stats = stats;
        this.router = router;
        this.lastValues = udp.lastValues();
        this.supervisor = supervisor;
        ActorRef<Command> self = context.getSelf();
        this.outbox = new Outbox(Outbox.Limits.of(settings), stats, capacity.queued(), capacity.draining(),
                reason -> self.tell(new Tick(new Session.SlowConsumer(reason))));
        Session.Owner owner = new Session.Owner() {
            @Override
            public void connected(Duration heartbeat) {
                self.tell(new Connected(heartbeat));
            }

            @Override
            public void closing() {
                self.tell(Closing.INSTANCE);
            }

            @Override
            public void quiesced() {
                self.tell(Quiesced.INSTANCE);
            }

            @Override
            public void failed(Throwable cause) {
                self.tell(new Failed(cause));
            }

            @Override
            public void udpHello(UdpBinding binding, InetSocketAddress from) {
                self.tell(new UdpHello(binding, from));
            }
        };
        Session logic = new Session(id, incoming.remoteAddress(), settings, stats, router, udp.bindings(),
                udp.lastValues(), servers, outbox, owner, capacity, incoming.tlsPrincipal());
        this.session = incoming.run(logic, outbox, stats, settings.publisherPause(),
                failure -> self.tell(new StreamStopped(failure)), materializer);
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
                    supervisor.tell(new ConnectionsSupervisor.Established(id));
                    timers.startTimerWithFixedDelay(HEARTBEAT, new Tick(Session.HeartbeatTick.INSTANCE),
                            connected.heartbeat());
                    Duration frameCheck = settings.frameTimeout().dividedBy(2);
                    timers.startTimerWithFixedDelay(FRAME_CHECK, new Tick(Session.FrameCheck.INSTANCE),
                            frameCheck.compareTo(Duration.ofMillis(50)) < 0 ? Duration.ofMillis(50) : frameCheck);
                    if (settings.slowConsumerPolicy() == BrokerSettings.SlowConsumerPolicy.DROP) {
                        timers.startTimerWithFixedDelay(DROP_REPORT, new Tick(Session.ReportDropped.INSTANCE),
                                settings.dropReportInterval());
                    }
                    return this;
                })
                .onMessageEquals(Closing.INSTANCE, () -> {
                    closing = true;
                    timers.cancelAll();
                    if (!draining) {
                        timers.startSingleTimer(CloseTimedOut.INSTANCE, settings.closeTimeout());
                    }
                    return this;
                })
                .onMessageEquals(CloseTimedOut.INSTANCE, () -> {
                    outbox.abort(new IllegalStateException("close timed out"));
                    return stopped();
                })
                .onMessageEquals(Quiesced.INSTANCE, () -> {
                    supervisor.tell(new ConnectionsSupervisor.Quiesced(id));
                    return this;
                })
                .onMessage(Failed.class, failed -> {
                    if (failure == null) {
                        failure = failed.cause();
                    }
                    return this;
                })
                .onMessageEquals(Drain.INSTANCE, () -> {
                    draining = true;
                    timers.cancel(CloseTimedOut.INSTANCE);
                    session.accept(Session.Drain.INSTANCE);
                    return this;
                })
                .onMessageEquals(FinishDrain.INSTANCE, () -> {
                    session.accept(Session.FinishDrain.INSTANCE);
                    return this;
                })
                .onMessageEquals(Cut.INSTANCE, () -> {
                    outbox.abort(new IllegalStateException("cut at the shutdown deadline"));
                    return stopped();
                })
                .onMessage(Servers.class, servers -> {
                    session.accept(new Session.ServersChanged(servers.servers()));
                    return this;
                })
                .onMessage(UdpHello.class, this::onUdpHello)
                .onMessageEquals(Evict.INSTANCE, () -> {
                    session.accept(Session.Evicted.INSTANCE);
                    return this;
                })
                .onMessage(StreamStopped.class, stopped -> {
                    if (failure == null) {
                        failure = stopped.failure();
                    }
                    return stopped();
                })
                .onSignal(PostStop.class, signal -> {
                    // Whatever stopped this actor, the link goes with it (a no-op if the stream already ended).
                    outbox.abort(new IllegalStateException(closing ? "connection closed" : "connection stopped"));
                    return this;
                })
                .build();
    }

    /**
     * Binds the session's UDP endpoint to the HELLO's address: the endpoint's actor, a child of this one, ends with
     * this connection. A second HELLO from a new address (the client's NAT mapping changed) moves the binding.
     */
    private Behavior<Command> onUdpHello(UdpHello hello) {
        UdpBinding binding = hello.binding();
        if (closing || binding.isClosed()) {
            return this;
        }
        UdpBinding.Endpoint endpoint = binding.endpoint();
        if (endpoint == null) {
            UdpInbox inbox = new UdpInbox(binding.waiting());
            endpoint = new UdpBinding.Endpoint(getContext().spawnAnonymous(UdpEndpoint.create(binding, inbox, settings,
                    stats, router, lastValues,
                    (verdict, reason) -> session.accept(new Session.UdpRefused(verdict, reason)))), inbox);
        }
        binding.bind(hello.from(), endpoint);
        stats.udp().bound();
        session.accept(new Session.UdpBound(binding, hello.from()));
        return this;
    }

    /** Stops this actor; with a failure on record, by failing, so that the supervisor reports it once. */
    private Behavior<Command> stopped() {
        if (failure != null) {
            throw new SessionFailed(failure);
        }
        return Behaviors.stopped();
    }
}
