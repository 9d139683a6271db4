package io.courier.broker.session;

import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.Router;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.stream.Materializer;
import scala.concurrent.ExecutionContext;

import io.courier.broker.routing.LastValues;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One actor per client link, child of the {@link ConnectionsSupervisor}: it starts the link (the {@link Session}
 * reading what the client sends, the {@link Outbox} writing to it; see {@link Incoming#run}), drives
 * the link's timers (connect timeout, heartbeat, frame deadline, drop reports, close timeout), relays the broker's
 * shutdown, and lives exactly as long as the link. When it stops, whatever stopped it, it tells the supervisor, with
 * the cause if the link's handling failed (its session's code, or delivering to it on a publisher's thread), so the
 * supervisor counts and logs that once; the failure never spreads beyond this link.
 *
 * <p>Its timers are the scheduler's, not a {@code TimerScheduler}'s, and it is not wrapped in a supervisor or
 * watched: one of these actors is made and stopped per client connection, and a reconnect storm makes thousands a
 * second, each wrapper being code on every connection's path that a freshly started broker runs interpreted until the
 * JIT has compiled it. A tick that was already on its way when its timer was cancelled is harmless: the session acts
 * on each event only in the states it applies to.
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

    private static final Tick CONNECT_TIMED_OUT = new Tick(Session.ConnectTimedOut.INSTANCE);
    private static final Tick HEARTBEAT = new Tick(Session.HeartbeatTick.INSTANCE);
    private static final Tick FRAME_CHECK = new Tick(Session.FrameCheck.INSTANCE);
    private static final Tick DROP_REPORT = new Tick(Session.ReportDropped.INSTANCE);

    private final long id;
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
    private Cancellable connectTimer;
    private Cancellable closeTimer;
    /** Heartbeat, frame check and drop reports, from CONNECTED until the link starts closing. */
    private final List<Cancellable> periodic = new ArrayList<>(3);

    public static Behavior<Command> create(Incoming incoming, long id, BrokerSettings settings,
                                           BrokerStats stats, Router router, Capacity capacity, UdpSide udp,
                                           List<String> servers, Materializer materializer,
                                           ActorRef<ConnectionsSupervisor.Command> supervisor,
                                           AtomicBoolean handshakeDone) {
        return Behaviors.setup(context -> new Connection(context, incoming, id, settings, stats, router, capacity, udp,
                servers, materializer, supervisor, handshakeDone));
    }

    private Connection(ActorContext<Command> context, Incoming incoming, long id, BrokerSettings settings,
                       BrokerStats stats, Router router, Capacity capacity, UdpSide udp, List<String> servers,
                       Materializer materializer, ActorRef<ConnectionsSupervisor.Command> supervisor,
                       AtomicBoolean handshakeDone) {
        super(context);
        this.id = id;
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
                // Before CONNECTED is written: the client may open its next connection as soon as it reads it,
                // and the supervisor must not take this one for still handshaking then.
                handshakeDone.set(true);
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
        connectTimer = context.scheduleOnce(settings.connectTimeout(), self, CONNECT_TIMED_OUT);
    }

    /**
     * One handler for every command, rather than a case per command: the receive is built for each of the thousands
     * of connections a storm brings, and each message would be tried against the cases in turn.
     */
    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Command.class, this::on)
                .onSignal(PostStop.class, signal -> {
                    // Whatever stopped this actor, the link goes with it (a no-op if the stream already ended).
                    cancelTimers();
                    closeTimer = cancel(closeTimer);
                    outbox.abort(new IllegalStateException(closing ? "connection closed" : "connection stopped"));
                    supervisor.tell(new ConnectionsSupervisor.Closed(id, failure));
                    return this;
                })
                .build();
    }

    private Behavior<Command> on(Command command) {
        if (command instanceof Tick tick) {
            session.accept(tick.event());
        } else if (command instanceof Connected connected) {
            connectTimer = cancel(connectTimer);
            if (!closing) {
                every(connected.heartbeat(), HEARTBEAT);
                every(settings.frameCheckInterval(), FRAME_CHECK);
                if (settings.slowConsumerPolicy() == BrokerSettings.SlowConsumerPolicy.DROP) {
                    every(settings.dropReportInterval(), DROP_REPORT);
                }
            }
        } else if (command == Closing.INSTANCE) {
            closing = true;
            cancelTimers();
            if (!draining && closeTimer == null) {
                closeTimer = getContext().scheduleOnce(settings.closeTimeout(), getContext().getSelf(),
                        CloseTimedOut.INSTANCE);
            }
        } else if (command == CloseTimedOut.INSTANCE) {
            outbox.abort(new IllegalStateException("close timed out"));
            return Behaviors.stopped();
        } else if (command == Quiesced.INSTANCE) {
            supervisor.tell(new ConnectionsSupervisor.Quiesced(id));
        } else if (command instanceof Failed failed) {
            if (failure == null) {
                failure = failed.cause();
            }
        } else if (command == Drain.INSTANCE) {
            draining = true;
            closeTimer = cancel(closeTimer);
            session.accept(Session.Drain.INSTANCE);
        } else if (command == FinishDrain.INSTANCE) {
            session.accept(Session.FinishDrain.INSTANCE);
        } else if (command == Cut.INSTANCE) {
            outbox.abort(new IllegalStateException("cut at the shutdown deadline"));
            return Behaviors.stopped();
        } else if (command instanceof Servers servers) {
            session.accept(new Session.ServersChanged(servers.servers()));
        } else if (command instanceof UdpHello hello) {
            return onUdpHello(hello);
        } else if (command == Evict.INSTANCE) {
            session.accept(Session.Evicted.INSTANCE);
        } else if (command instanceof StreamStopped stopped) {
            if (failure == null) {
                failure = stopped.failure();
            }
            return Behaviors.stopped();
        }
        return this;
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

    /**
     * Sends {@code tick} to this actor every {@code interval} until cancelled, from the scheduler's thread (a tell
     * does not block; Pekko's own timers send theirs the same way), not by a task on the dispatcher per tick.
     */
    private void every(Duration interval, Tick tick) {
        ActorRef<Command> self = getContext().getSelf();
        periodic.add(getContext().getSystem().scheduler().scheduleWithFixedDelay(interval, interval,
                () -> self.tell(tick), ExecutionContext.parasitic$.MODULE$));
    }

    /** Cancels the connect timeout and the periodic ticks (not the close timeout). */
    private void cancelTimers() {
        connectTimer = cancel(connectTimer);
        periodic.forEach(Cancellable::cancel);
        periodic.clear();
    }

    private static Cancellable cancel(Cancellable timer) {
        if (timer != null) {
            timer.cancel();
        }
        return null;
    }
}
