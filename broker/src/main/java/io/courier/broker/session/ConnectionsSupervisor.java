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
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.ByteString;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Parent of every {@link Connection}. A connection that fails is stopped (its subscriptions go with it), counted
 * and logged once here; the failure never reaches the broker. Each connection says itself when it has stopped
 * ({@link Closed}, sent from its PostStop whatever stopped it) rather than being watched: a death watch is two system
 * messages more per connection, on the path every handshake of a reconnect storm takes.
 *
 * <p>Admission: connections still in their handshake have a budget of their own, overall and per source address,
 * apart from {@code max-connections} (which only established links count against, see {@link Session}). When it is
 * full, the oldest handshaking connection is closed to make room, so silent sockets can neither take established
 * clients' slots nor keep a new client out: a real client finishes its handshake in milliseconds.
 *
 * <p>Graceful stop, in two phases so that nothing a client sent before it heard is lost: every link is told
 * ({@link Connection.Drain}) and keeps being served; once every client has said it stopped publishing, or
 * {@code close-timeout} has passed, every link flushes what is queued for it and closes
 * ({@link Connection.FinishDrain}); links still open at {@code shutdown-timeout} are cut.
 */
public final class ConnectionsSupervisor extends AbstractBehavior<ConnectionsSupervisor.Command> {

    public sealed interface Command permits Accept, Quiesced, Closed, Drain, FinishAll, CutAll, ServersChanged { }

    /** The servers clients may reconnect to changed (the cluster's membership): tell every client that can hear it. */
    public enum ServersChanged implements Command { INSTANCE }

    /** A client connection was accepted; its flow must be materialised promptly. */
    public record Accept(Incoming incoming) implements Command { }

    /** Connection {@code id} stopped; {@code failure} is why its handling failed, null when it did not. */
    record Closed(long id, Throwable failure) implements Command { }

    /** While draining, connection {@code id}'s client stopped publishing. */
    record Quiesced(long id) implements Command { }

    /** Stop accepting, drain every link, answer when the last one has stopped. */
    public record Drain(ActorRef<Done> replyTo) implements Command { }

    enum FinishAll implements Command { INSTANCE }

    enum CutAll implements Command { INSTANCE }

    /**
     * {@code done} is set by the connection's session as it answers CONNECT (on the link's thread, before CONNECTED is
     * written); the entry itself goes when the budget is next full ({@link #forgetFinishedHandshakes}) or the
     * connection closes, so a handshake costs this actor no message of its own.
     */
    private record Handshaking(ActorRef<Connection.Command> ref, InetAddress address, AtomicBoolean done,
                               long since) { }

    /**
     * How long a connection may wait for its client's CONNECT before a newer one from its address may take its place
     * in a full per-address budget. A real client sends CONNECT as soon as its socket opens, but a host whose clients
     * all reconnect at once (a node died; thousands of client threads on a few cores) may take hundreds of
     * milliseconds to: evicting them then, for the next socket of the same herd, only makes them reconnect again.
     * Within the grace the newer connection is let in beyond the per-address budget, still within max-handshaking.
     */
    public static final long HANDSHAKE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final TimerScheduler<Command> timers;
    private final BrokerSettings settings;
    private final BrokerStats stats;
    private final Router router;
    private final UdpSide udp;
    private final Capacity capacity;
    private final Supplier<List<String>> servers;
    private final Materializer materializer;
    /** Connections in their handshake, oldest first. */
    private final LinkedHashMap<Long, Handshaking> handshaking = new LinkedHashMap<>();
    private final Map<InetAddress, Integer> handshakingPerAddress = new HashMap<>();
    /** Every connection not yet {@link Closed}. */
    private final Set<Long> open = new HashSet<>();
    private final List<ActorRef<Done>> drainWaiters = new ArrayList<>();
    /** While draining: connections whose clients have not yet said they stopped publishing. */
    private final Set<Long> publishing = new HashSet<>();
    private long nextId = 1;
    private boolean draining;
    private boolean finishing;
    private long drainStart;
    private long messagesOutAtDrain;
    private int linksAtDrain;
    private int cutAtDeadline;

    public static Behavior<Command> create(BrokerSettings settings, BrokerStats stats, Router router,
                                           Capacity capacity, UdpSide udp, Supplier<List<String>> servers) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new ConnectionsSupervisor(context, timers, settings, stats, router, capacity, udp, servers)));
    }

    /**
     * What a client listener hands its accepted links to. One lambda for every listener of client links (the broker's
     * and its warm-up's), so the listener's call to it stays the one the JIT compiled during the warm-up.
     */
    public static Consumer<ChannelLink> accepting(ActorRef<Command> supervisor) {
        return link -> supervisor.tell(new Accept(link));
    }

    private ConnectionsSupervisor(ActorContext<Command> context, TimerScheduler<Command> timers,
                                  BrokerSettings settings, BrokerStats stats, Router router, Capacity capacity,
                                  UdpSide udp, Supplier<List<String>> servers) {
        super(context);
        this.udp = udp;
        this.timers = timers;
        this.settings = settings;
        this.stats = stats;
        this.router = router;
        this.capacity = capacity;
        this.servers = servers;
        this.materializer = Materializer.matFromSystem(context.getSystem());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Accept.class, this::onAccept)
                .onMessage(Closed.class, this::onClosed)
                .onMessage(Quiesced.class, quiesced -> {
                    if (publishing.remove(quiesced.id()) && publishing.isEmpty() && draining) {
                        finishAll();
                    }
                    return this;
                })
                .onMessage(Drain.class, this::onDrain)
                .onMessageEquals(ServersChanged.INSTANCE, () -> {
                    if (draining) {
                        // This broker is leaving: the cluster shrinking around it is not news for its clients.
                        return this;
                    }
                    Connection.Servers now = new Connection.Servers(servers.get());
                    getContext().getChildren().forEach(c -> c.unsafeUpcast().tell(now));
                    return this;
                })
                .onMessageEquals(FinishAll.INSTANCE, () -> {
                    finishAll();
                    return this;
                })
                .onMessageEquals(CutAll.INSTANCE, () -> {
                    cutAtDeadline = open.size();
                    getContext().getChildren().forEach(c -> c.unsafeUpcast().tell(Connection.Cut.INSTANCE));
                    return this;
                })
                .build();
    }

    private Behavior<Command> onAccept(Accept accept) {
        if (draining || capacity.connections().used() >= settings.maxConnections()) {
            stats.connectionRefused();
            String reason = draining ? "the broker is shutting down"
                    : "the broker accepts at most " + settings.maxConnections() + " connections";
            if (!draining) {
                getContext().getLog().info("connection from {} refused: {}", accept.incoming().remoteAddress(),
                        reason);
            }
            ErrorCode code = draining ? ErrorCode.SERVER_SHUTDOWN : ErrorCode.TOO_MANY_CONNECTIONS;
            stats.errorSent(code);
            ByteString err = ByteString.fromArrayUnsafe(FrameCodec.encode(new Err(code, reason)));
            accept.incoming().refuse(err, materializer);
            return this;
        }
        InetSocketAddress remote = accept.incoming().remoteAddress();
        InetAddress address = remote.getAddress();
        long now = System.nanoTime();
        if (handshakingPerAddress.getOrDefault(address, 0) >= settings.maxHandshakingPerAddress()
                || handshaking.size() >= settings.maxHandshaking()) {
            forgetFinishedHandshakes();
            boolean full = handshaking.size() >= settings.maxHandshaking();
            if (handshakingPerAddress.getOrDefault(address, 0) >= settings.maxHandshakingPerAddress()) {
                // Its own address's oldest goes first, so that one address's flood costs only itself.
                evictOldest(address, full ? 0 : HANDSHAKE_GRACE_NANOS, now);
            } else if (full) {
                evictOldest(null, 0, now);
            }
        }
        long id = nextId++;
        // Counted before the child runs: it may answer CONNECT before this handler has finished.
        stats.connectionOpened();
        AtomicBoolean done = new AtomicBoolean();
        ActorRef<Connection.Command> child = getContext().spawn(Connection.create(accept.incoming(), id, settings,
                stats, router, capacity, udp, servers.get(), materializer, getContext().getSelf(), done),
                "conn-" + id);
        getContext().getLog().debug("connection {} from {} opened", id, remote);
        open.add(id);
        handshaking.put(id, new Handshaking(child, address, done, now));
        handshakingPerAddress.merge(address, 1, Integer::sum);
        return this;
    }

    /**
     * Closes the oldest connection still in its handshake (from {@code address}, or from anywhere when null), if it
     * has waited at least {@code minWaitNanos} by {@code now} (System.nanoTime); else closes none.
     */
    private void evictOldest(InetAddress address, long minWaitNanos, long now) {
        Iterator<Map.Entry<Long, Handshaking>> it = handshaking.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, Handshaking> oldest = it.next();
            if (address == null || oldest.getValue().address().equals(address)) {
                if (now - oldest.getValue().since() < minWaitNanos) {
                    return;
                }
                it.remove();
                handshakingPerAddress.computeIfPresent(oldest.getValue().address(), (a, n) -> n == 1 ? null : n - 1);
                stats.handshakeEvicted();
                getContext().getLog().debug("connection {} from {} closed to make room: too many connections in the "
                        + "handshake", oldest.getKey(), oldest.getValue().address());
                oldest.getValue().ref().tell(Connection.Evict.INSTANCE);
                return;
            }
        }
    }

    /**
     * Drops the connections that have answered CONNECT from the handshake budget. Run before anyone is evicted, so
     * that a client that opens connection after connection, each as soon as the last was answered, is never taken for
     * one with too many in the handshake.
     */
    private void forgetFinishedHandshakes() {
        Iterator<Map.Entry<Long, Handshaking>> it = handshaking.entrySet().iterator();
        while (it.hasNext()) {
            Handshaking h = it.next().getValue();
            if (h.done().get()) {
                it.remove();
                handshakingPerAddress.computeIfPresent(h.address(), (a, n) -> n == 1 ? null : n - 1);
            }
        }
    }

    private void leaveHandshake(long id) {
        Handshaking h = handshaking.remove(id);
        if (h != null) {
            handshakingPerAddress.computeIfPresent(h.address(), (a, n) -> n == 1 ? null : n - 1);
        }
    }

    private Behavior<Command> onDrain(Drain drain) {
        drainWaiters.add(drain.replyTo());
        if (draining) {
            return answerDrainWaitersIfEmpty();
        }
        draining = true;
        capacity.draining().set(true);
        drainStart = System.nanoTime();
        messagesOutAtDrain = stats.messagesOut();
        linksAtDrain = open.size();
        open.forEach(id -> {
            Handshaking h = handshaking.get(id);
            if (h == null || h.done().get()) {
                publishing.add(id);
            }
        });
        getContext().getChildren().forEach(c -> c.unsafeUpcast().tell(Connection.Drain.INSTANCE));
        if (!open.isEmpty()) {
            getContext().getLog().info("graceful stop: draining {} connections (at most {} ms)", open.size(),
                    settings.shutdownTimeout().toMillis());
        }
        if (publishing.isEmpty()) {
            finishAll();
        } else {
            timers.startSingleTimer(FinishAll.INSTANCE, settings.closeTimeout());
        }
        timers.startSingleTimer(CutAll.INSTANCE, settings.shutdownTimeout());
        return answerDrainWaitersIfEmpty();
    }

    private void finishAll() {
        if (finishing) {
            return;
        }
        finishing = true;
        timers.cancel(FinishAll.INSTANCE);
        publishing.clear();
        getContext().getChildren().forEach(c -> c.unsafeUpcast().tell(Connection.FinishDrain.INSTANCE));
    }

    private Behavior<Command> onClosed(Closed closed) {
        long id = closed.id();
        if (!open.remove(id)) {
            return this;
        }
        if (closed.failure() != null) {
            stats.connectionFailed();
            getContext().getLog().error("connection {} failed and was closed; other clients are unaffected", id,
                    closed.failure());
        } else {
            getContext().getLog().debug("connection {} closed", id);
        }
        leaveHandshake(id);
        if (publishing.remove(id) && publishing.isEmpty() && draining) {
            finishAll();
        }
        stats.connectionClosed();
        return answerDrainWaitersIfEmpty();
    }

    private Behavior<Command> answerDrainWaitersIfEmpty() {
        if (draining && open.isEmpty() && !drainWaiters.isEmpty()) {
            timers.cancelAll();
            if (linksAtDrain > 0) {
                getContext().getLog().info("graceful stop: {} connections closed in {} ms, {} messages flushed, "
                                + "{} cut at the {} ms deadline", linksAtDrain - cutAtDeadline,
                        (System.nanoTime() - drainStart) / 1_000_000, stats.messagesOut() - messagesOutAtDrain,
                        cutAtDeadline, settings.shutdownTimeout().toMillis());
                linksAtDrain = 0;
            }
            drainWaiters.forEach(w -> w.tell(Done.getInstance()));
            drainWaiters.clear();
        }
        return this;
    }
}
