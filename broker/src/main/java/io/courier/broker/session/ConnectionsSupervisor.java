package io.courier.broker.session;

import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.Router;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.FrameCodec;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Parent of every {@link Connection}. A connection that fails is stopped (its subscriptions go with it), counted
 * and logged once here; the failure never reaches the broker. Enforces the connection limit and drains all links
 * on shutdown.
 */
public final class ConnectionsSupervisor extends AbstractBehavior<ConnectionsSupervisor.Command> {

    public sealed interface Command permits Accept, Drain { }

    /** A TCP connection was accepted; its flow must be materialised promptly. */
    public record Accept(Tcp.IncomingConnection incoming) implements Command { }

    /** Stop accepting, close every link gracefully, answer when the last one has stopped. */
    public record Drain(ActorRef<Done> replyTo) implements Command { }

    private final BrokerSettings settings;
    private final BrokerStats stats;
    private final Router router;
    private final Supplier<List<String>> servers;
    private final Materializer materializer;
    private final List<ActorRef<Done>> drainWaiters = new ArrayList<>();
    private long nextId = 1;
    private int children;
    private boolean draining;

    public static Behavior<Command> create(BrokerSettings settings, BrokerStats stats, Router router,
                                           Supplier<List<String>> servers) {
        return Behaviors.setup(context -> new ConnectionsSupervisor(context, settings, stats, router, servers));
    }

    private ConnectionsSupervisor(ActorContext<Command> context, BrokerSettings settings, BrokerStats stats,
                                  Router router, Supplier<List<String>> servers) {
        super(context);
        this.settings = settings;
        this.stats = stats;
        this.router = router;
        this.servers = servers;
        this.materializer = Materializer.matFromSystem(context.getSystem());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Accept.class, this::onAccept)
                .onMessage(Drain.class, this::onDrain)
                .onSignal(ChildFailed.class, failed -> {
                    stats.connectionFailed();
                    getContext().getLog().error("connection {} failed and was closed; other clients are unaffected",
                            failed.getRef().path().name(), failed.getCause());
                    return onChildStopped();
                })
                .onSignal(Terminated.class, terminated -> onChildStopped())
                .build();
    }

    private Behavior<Command> onAccept(Accept accept) {
        if (draining || children >= settings.maxConnections()) {
            stats.connectionRefused();
            String reason = draining ? "the broker is shutting down"
                    : "the broker accepts at most " + settings.maxConnections() + " connections";
            ErrorCode code = draining ? ErrorCode.SERVER_SHUTDOWN : ErrorCode.TOO_MANY_CONNECTIONS;
            ByteString err = ByteString.fromArrayUnsafe(FrameCodec.encode(new Err(code, reason)));
            accept.incoming().handleWith(Flow.fromSinkAndSource(Sink.ignore(), Source.single(err)), materializer);
            return this;
        }
        long id = nextId++;
        // Pekko's own supervisor log is off: ChildFailed below counts and logs the failure, once.
        ActorRef<Connection.Command> child = getContext().spawn(
                Behaviors.supervise(Connection.create(accept.incoming(), id, settings, stats, router,
                        servers.get(), materializer)).onFailure(SupervisorStrategy.stop().withLoggingEnabled(false)),
                "conn-" + id);
        getContext().watch(child);
        children++;
        stats.connectionOpened();
        return this;
    }

    private Behavior<Command> onDrain(Drain drain) {
        draining = true;
        drainWaiters.add(drain.replyTo());
        getContext().getChildren().forEach(c -> c.unsafeUpcast().tell(Connection.Drain.INSTANCE));
        return answerDrainWaitersIfEmpty();
    }

    private Behavior<Command> onChildStopped() {
        children--;
        stats.connectionClosed();
        return answerDrainWaitersIfEmpty();
    }

    private Behavior<Command> answerDrainWaitersIfEmpty() {
        if (draining && children == 0) {
            drainWaiters.forEach(w -> w.tell(Done.getInstance()));
            drainWaiters.clear();
        }
        return this;
    }
}
