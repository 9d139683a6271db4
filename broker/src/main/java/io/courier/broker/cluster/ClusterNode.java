package io.courier.broker.cluster;

import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.InterestCounts;
import io.courier.broker.routing.RemoteSubscriber;
import io.courier.broker.routing.Router;
import io.courier.broker.routing.Subscription;
import io.courier.broker.session.Capacity;
import io.courier.broker.session.RouteLink;
import io.courier.broker.session.RouteSession;
import io.courier.broker.transport.tcp.IoLoops;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.RouteHello;
import io.courier.protocol.RouteInterest;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.IntSupplier;
import javax.net.ssl.SSLEngine;

/**
 * This broker's part in a cluster: it finds the other brokers (one Receptionist key for the whole cluster, never one
 * per topic), tells them which patterns it has subscribers for, keeps the index's entries for what they want, and
 * keeps a route link to each (docs/architecture.md, "Between brokers").
 *
 * <p>Interest travels as changes: the {@link Router} reports when a pattern (with its queue group) gains its first or
 * loses its last local subscription; this actor sends the changes to every other broker in numbered batches
 * (ROUTE_INTEREST frames of about 64 KiB at most), at most {@value #WINDOW} of them unacknowledged per broker.
 * Artery drops what does not fit its outbound queue, and 100,000 SUBs sent as they came were tens of thousands of
 * messages: the window keeps interest to a few messages in that queue, and what waits behind it is coalesced per
 * entry (a pattern subscribed and unsubscribed meanwhile is one change, or none for a broker about to get a
 * snapshot). A broker that joins, restarts (a new incarnation) or finds a gap in the numbers gets the whole interest
 * again, in batches, so 100,000 patterns never make one message larger than Artery's frame. Every
 * {@value #KEEPALIVE_MILLIS} ms the last numbers sent (in all, and over Artery) go out on their own, so a lost last
 * Artery batch is noticed too, and are answered with the number applied: that answer acknowledges everything before
 * it, so batches ask for an acknowledgement of their own only once half the window is used, and a lost
 * acknowledgement never closes the window for good. A route link that ends with batches unacknowledged may have
 * taken them with it: its sender then sends the whole interest again.
 *
 * <p>The batches go over the route link to that broker while it is up, Artery otherwise: a SUB's change spent
 * about 3 ms in Artery's eight or so thread hand-offs on a 2-core machine, and the route link has two
 * (docs/performance.md). Acknowledgements, keepalives and requests for a snapshot stay on Artery.
 *
 * <p>Membership is Pekko Cluster's: a member that is removed (the split brain resolver's decision, or a leave) loses
 * its entries and its route at once; one that is unreachable keeps its entries but its route is cut, so nothing
 * waits for it, until it is reachable again.
 */
public final class ClusterNode extends AbstractBehavior<ClusterNode.Command> {

    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);

    /** The one Receptionist key of the cluster: each broker's ClusterNode registers under it. */
    public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "courier-node");

    /** Interest batches in flight to one broker: 16 x 64 KiB, a handful of Artery's 3,072 queue slots. */
    static final int WINDOW = 16;
    static final int KEEPALIVE_MILLIS = 1000;
    /** A broker waiting this long for the snapshot it asked for asks again (the request or the reply was lost). */
    private static final long RESYNC_RETRY_NANOS = 5_000_000_000L;
    /** Changes waiting for one broker beyond its snapshot's size: past this, a snapshot is the smaller message. */
    private static final int UNSENT_SLACK = 1024;
    /**
     * A change a keepalive announced that has not arrived this long after is taken for lost: a last resort, since a
     * lost Artery batch is found by the keepalive at once and a route that ends with batches in flight makes its
     * sender start a snapshot; a route read slowly (its receiver's subscribers slow) must not cause snapshots.
     */
    private static final long LOST_BATCH_NANOS = 30_000_000_000L;

    public interface Command { }

    /**
     * A broker introduces itself: its node id, incarnation, where its routes go, where its clients connect, and
     * whether it knows the receiver already ({@code knowsYou}: it would accept the receiver's route now).
     */
    public record Hello(String nodeId, long incarnation, String routeHost, int routePort, String clientAddress,
                        boolean knowsYou, ActorRef<Command> replyTo) implements Command, ClusterMessage { }

    /**
     * Interest changes of {@code nodeId} over Artery: {@code batch} is an encoded ROUTE_INTEREST frame
     * ({@link RouteInterest}), the same bytes the route link carries when it is up.
     */
    public record Interest(String nodeId, byte[] batch) implements Command, ClusterMessage { }

    /** Interest changes of {@code nodeId} read on its route link. */
    private record RoutedInterest(String nodeId, RouteInterest batch) implements Command { }

    /**
     * Every second: the number of the last change {@code nodeId} sent to the receiver, that of the last one it sent
     * over Artery ({@code arterySeq}, ordered with this message), and how many clients it has.
     */
    public record Keepalive(String nodeId, long incarnation, long seq, long arterySeq, int clients)
            implements Command, ClusterMessage { }

    /** {@code nodeId} has applied the changes it was sent up to {@code seq}: more may follow. */
    public record InterestAck(String nodeId, long incarnation, long seq) implements Command, ClusterMessage { }

    /** Send me all your interest again (I found a gap). */
    public record Resync(String nodeId, ActorRef<Command> replyTo) implements Command, ClusterMessage { }

    private record Peers(Receptionist.Listing listing) implements Command { }

    private record Membership(ClusterEvent.MemberEvent event) implements Command { }

    private record Reachability(ClusterEvent.ReachabilityEvent event) implements Command { }

    private record RouteUp(String nodeId, RouteLink link) implements Command { }

    private record RouteEnded(String nodeId, RouteLink link) implements Command { }

    private enum Flush implements Command { INSTANCE }

    private enum Tick implements Command { INSTANCE }

    /** Who this broker is, for the others. */
    public record Self(String nodeId, long incarnation, String routeHost, int routePort, String clientAddress) { }

    /** What a broker of the cluster knows of another: for status and for CONNECTED's server list. */
    public record PeerView(String nodeId, String clientAddress, boolean reachable, boolean routed, int clients,
                           int interest) { }

    /** The peers as this broker sees them, readable from any thread; what route links read goes through it. */
    public static final class View implements RouteSession.Members {
        private final Map<String, PeerView> peers = new ConcurrentHashMap<>();
        private final Map<String, Long> incarnations = new ConcurrentHashMap<>();
        private volatile ActorRef<Command> node;
        /** The peers' client addresses; a new list only when one comes, goes or changes (the node's thread writes). */
        private volatile List<String> clientAddresses = List.of();

        public List<PeerView> peers() {
            return List.copyOf(peers.values());
        }

        /**
         * The other members' client addresses, each once; the same list instance until the set changes, so that
         * what is built from it (the servers every CONNECTED lists) can be kept until then.
         */
        public List<String> clientAddresses() {
            return clientAddresses;
        }

        private void put(PeerView peer) {
            PeerView old = peers.put(peer.nodeId(), peer);
            if (old == null || !old.clientAddress().equals(peer.clientAddress())) {
                refreshClientAddresses();
            }
        }

        private void remove(String nodeId) {
            if (peers.remove(nodeId) != null) {
                refreshClientAddresses();
            }
        }

        private void refreshClientAddresses() {
            clientAddresses = peers.values().stream().map(PeerView::clientAddress).distinct().toList();
        }

        /** Route links are accepted from current members in their current incarnation only. */
        @Override
        public boolean accepts(String nodeId, long incarnation) {
            Long known = incarnations.get(nodeId);
            return known != null && known == incarnation;
        }

        @Override
        public void interest(String nodeId, RouteInterest batch) {
            ActorRef<Command> n = node;
            if (n != null) {
                n.tell(new RoutedInterest(nodeId, batch));
            }
        }
    }

    private final class Peer {
        final String nodeId;
        final long incarnation;
        final ActorRef<Command> ref;
        final String routeHost;
        final int routePort;
        final String clientAddress;
        final RouteLink link;
        /** Its interest as applied here; {@code seq}: the number of its last change applied, -1 awaiting a snapshot. */
        final Map<InterestCounts.Entry, Subscription> interest = new HashMap<>();
        long seq = -1;
        long resyncAskedNanos = System.nanoTime();
        /** A number a keepalive said it had sent that was not applied yet, and when it said so. */
        long claimed = -1;
        long claimedNanos;
        /** Ours for it: changes not yet sent (entry -> present), coalesced; the first batch sent resets it if set. */
        final LinkedHashMap<InterestCounts.Entry, Boolean> unsent = new LinkedHashMap<>();
        boolean resetPending;
        /** The number of our last change sent to it, and the last numbers of the batches it has not acknowledged. */
        long sentSeq;
        final ArrayDeque<Long> inFlight = new ArrayDeque<>();
        /** Whether the batches in flight went over the route link (else over Artery); chosen when none are. */
        boolean viaRoute;
        /** The number of the last change sent to it over Artery. */
        long arterySeq;
        boolean reachable = true;
        int clients;
        int reconnectDelayMillis = 100;
        /**
         * Whether it has shown it knows this broker (a Hello saying so, or a keepalive): only then is the route
         * opened, since it refuses a route from a broker it has not heard of yet.
         */
        boolean knowsUs;
        /** When its route link last came up, 0 if it has not since it ended. */
        long routeUpNanos;

        Peer(Hello hello, int index) {
            this.nodeId = hello.nodeId();
            this.incarnation = hello.incarnation();
            this.ref = hello.replyTo();
            this.routeHost = hello.routeHost();
            this.routePort = hello.routePort();
            this.clientAddress = hello.clientAddress();
            this.link = new RouteLink(index, nodeId, settings.cluster().routeMaxPending(), stats, capacity, routeTls,
                    loops);
        }

        void publish() {
            view.put(new PeerView(nodeId, clientAddress, reachable, link.isEstablished(), clients, interest.size()));
        }
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final BrokerSettings settings;
    private final BrokerStats stats;
    private final Capacity capacity;
    private final Router router;
    private final Self self;
    private final View view;
    private final IntSupplier clientCount;
    private final Runnable serversChanged;
    /** Client TLS engines for the route links when {@code courier.cluster.tls} is on; null: plain TCP. */
    private final BiFunction<String, Integer, SSLEngine> routeTls;
    /** Where plain route links run. */
    private final IoLoops loops;
    private final Map<String, Peer> peers = new HashMap<>();
    private final boolean[] slots = new boolean[RemoteSubscriber.MAX_NODES];
    /** Local interest changes from the router (any thread), in order, not yet numbered and sent. */
    private final ConcurrentLinkedQueue<InterestChange> pending = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    /** The local interest as the others must know it: entry -> present. */
    private final Map<InterestCounts.Entry, Boolean> localInterest = new HashMap<>();

    private record InterestChange(InterestCounts.Entry entry, boolean present) { }

    public static Behavior<Command> create(BrokerSettings settings, BrokerStats stats, Capacity capacity, Router router,
                                           Self self, View view, IntSupplier clientCount, Runnable serversChanged,
                                           BiFunction<String, Integer, SSLEngine> routeTls, IoLoops loops) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> new ClusterNode(context, timers, settings,
                stats, capacity, router, self, view, clientCount, serversChanged, routeTls, loops)));
    }

    private ClusterNode(ActorContext<Command> context, TimerScheduler<Command> timers, BrokerSettings settings,
                        BrokerStats stats, Capacity capacity, Router router, Self self, View view,
                        IntSupplier clientCount, Runnable serversChanged,
                        BiFunction<String, Integer, SSLEngine> routeTls, IoLoops loops) {
        super(context);
        this.routeTls = routeTls;
        this.loops = loops;
        this.serversChanged = serversChanged;
        this.context = context;
        this.timers = timers;
        this.settings = settings;
        this.stats = stats;
        this.capacity = capacity;
        this.router = router;
        this.self = self;
        this.view = view;
        this.clientCount = clientCount;
        ActorRef<Command> me = context.getSelf();
        view.node = me;
        for (InterestCounts.Entry e : router.listen((pattern, group, present) -> {
            pending.add(new InterestChange(new InterestCounts.Entry(pattern, group), present));
            if (flushScheduled.compareAndSet(false, true)) {
                me.tell(Flush.INSTANCE);
            }
        })) {
            localInterest.put(e, Boolean.TRUE);
        }
        context.getSystem().receptionist().tell(Receptionist.register(KEY, me));
        context.getSystem().receptionist().tell(Receptionist.subscribe(KEY,
                context.messageAdapter(Receptionist.Listing.class, Peers::new)));
        Cluster cluster = Cluster.get(context.getSystem());
        cluster.subscriptions().tell(Subscribe.create(context.messageAdapter(ClusterEvent.MemberEvent.class,
                Membership::new), ClusterEvent.MemberEvent.class));
        cluster.subscriptions().tell(Subscribe.create(context.messageAdapter(ClusterEvent.ReachabilityEvent.class,
                Reachability::new), ClusterEvent.ReachabilityEvent.class));
        timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofMillis(KEEPALIVE_MILLIS));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Peers.class, this::onPeers)
                .onMessage(Hello.class, this::onHello)
                .onMessage(Interest.class, this::onInterest)
                .onMessage(RoutedInterest.class, r -> {
                    Peer p = peers.get(r.nodeId());
                    if (p != null) {
                        stats.interestReceived(true);
                        apply(p, r.batch());
                    }
                    return this;
                })
                .onMessage(Keepalive.class, this::onKeepalive)
                .onMessage(InterestAck.class, this::onAck)
                .onMessage(Resync.class, r -> {
                    Peer p = peers.get(r.nodeId());
                    if (p != null) {
                        // What is in flight is discarded there until the snapshot: it no longer holds the window.
                        p.inFlight.clear();
                        startSnapshot(p);
                        send(p);
                    }
                    return this;
                })
                .onMessage(Membership.class, this::onMembership)
                .onMessage(Reachability.class, this::onReachability)
                .onMessage(RouteUp.class, up -> {
                    Peer p = peers.get(up.nodeId());
                    if (p != null && p.link == up.link()) {
                        p.routeUpNanos = System.nanoTime();
                        p.publish();
                    }
                    return this;
                })
                .onMessage(RouteEnded.class, this::onRouteEnded)
                .onMessage(Reconnect.class, this::onReconnect)
                .onMessageEquals(Flush.INSTANCE, this::onFlush)
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .build();
    }

    // ------------------------------------------------------------------ finding each other

    private Behavior<Command> onPeers(Peers peersMessage) {
        Set<ActorRef<Command>> refs = peersMessage.listing().getServiceInstances(KEY);
        for (ActorRef<Command> ref : refs) {
            if (!ref.equals(context.getSelf()) && peers.values().stream().noneMatch(p -> p.ref.equals(ref))) {
                ref.tell(hello(false));
            }
        }
        return this;
    }

    private Hello hello(boolean knowsYou) {
        return new Hello(self.nodeId(), self.incarnation(), self.routeHost(), self.routePort(), self.clientAddress(),
                knowsYou, context.getSelf());
    }

    private Behavior<Command> onHello(Hello hello) {
        Peer known = peers.get(hello.nodeId());
        if (known != null && known.incarnation == hello.incarnation()) {
            if (hello.knowsYou()) {
                knowsUs(known);
            }
            return this;
        }
        if (known != null) {
            drop(known, "restarted (incarnation " + hello.incarnation() + ")");
        }
        int slot = freeSlot();
        if (slot < 0) {
            log.error("cluster member {} ignored: a cluster has at most {} brokers", hello.nodeId(),
                    RemoteSubscriber.MAX_NODES);
            return this;
        }
        slots[slot] = true;
        Peer peer = new Peer(hello, slot);
        peers.put(peer.nodeId, peer);
        view.incarnations.put(peer.nodeId, peer.incarnation);
        log.info("cluster member {} joined this broker's routes (clients at {})", peer.nodeId,
                peer.clientAddress);
        // A route dialled on its first Hello reached it before our Hello did (a connect on loopback beats a message
        // through Artery) and was refused: the route waits until it says it knows us.
        if (hello.knowsYou()) {
            knowsUs(peer);
        }
        peer.publish();
        serversChanged.run();
        // Introduce ourselves in return (it may not have seen us yet), then all we want.
        hello.replyTo().tell(hello(true));
        startSnapshot(peer);
        send(peer);
        return this;
    }

    private int freeSlot() {
        for (int i = 0; i < slots.length; i++) {
            if (!slots[i]) {
                return i;
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------ interest: ours to them

    private Behavior<Command> onFlush() {
        flushScheduled.set(false);
        boolean changed = false;
        for (InterestChange c; (c = pending.poll()) != null; ) {
            changed = true;
            if (c.present()) {
                localInterest.put(c.entry(), Boolean.TRUE);
            } else {
                localInterest.remove(c.entry());
            }
            for (Peer p : peers.values()) {
                record(p, c);
            }
        }
        if (changed) {
            peers.values().forEach(this::send);
        }
        return this;
    }

    private void record(Peer p, InterestChange c) {
        if (p.resetPending && !c.present()) {
            // The snapshot it will get starts from nothing: an entry gone meanwhile need not be mentioned.
            p.unsent.remove(c.entry());
            return;
        }
        p.unsent.put(c.entry(), c.present());
        if (!p.resetPending && p.unsent.size() > localInterest.size() + UNSENT_SLACK) {
            startSnapshot(p);
        }
    }

    /** Everything it has of ours is to be replaced by our whole interest, sent as the window lets it go. */
    private void startSnapshot(Peer p) {
        p.resetPending = true;
        p.unsent.clear();
        localInterest.keySet().forEach(e -> p.unsent.put(e, Boolean.TRUE));
    }

    /**
     * Sends what waits for {@code p}, in batches, while its window has room. A batch goes over the route link when
     * it is up (a few thread hand-offs against Artery's many), over Artery when it is not. The channel changes only
     * when nothing is in flight, so batches never overtake each other; and a snapshot starts on Artery, behind our
     * Hello, since a broker that has not had our Hello yet refuses our route.
     */
    private void send(Peer p) {
        while (p.inFlight.size() < WINDOW && (p.resetPending || !p.unsent.isEmpty())) {
            List<RouteInterest.Change> changes = new ArrayList<>();
            int bytes = 0;
            for (Iterator<Map.Entry<InterestCounts.Entry, Boolean>> it = p.unsent.entrySet().iterator();
                 it.hasNext(); ) {
                Map.Entry<InterestCounts.Entry, Boolean> change = it.next();
                InterestCounts.Entry e = change.getKey();
                int size = FrameCodec.interestChangeSize(e.pattern(), e.queueGroup());
                if (!changes.isEmpty() && bytes + size > RouteInterest.TARGET_BYTES) {
                    break;
                }
                changes.add(new RouteInterest.Change(e.pattern(), e.queueGroup(), change.getValue()));
                bytes += size;
                it.remove();
            }
            if (p.inFlight.isEmpty()) {
                p.viaRoute = p.link.isEstablished() && !p.resetPending;
            }
            // Acknowledged at once only from half the window on: a rare SUB is acknowledged by the keepalive. A
            // snapshot's first batch is acknowledged at once, so the changes after it may take the route soon.
            boolean ack = p.resetPending || p.inFlight.size() + 1 >= WINDOW / 2;
            RouteInterest batch = new RouteInterest(self.incarnation(), p.sentSeq + 1, p.resetPending, ack, changes);
            byte[] frame = FrameCodec.encode(batch);
            p.resetPending = false;
            p.sentSeq = batch.lastSeq();
            p.inFlight.add(p.sentSeq);
            if (!p.viaRoute || !p.link.sendInterest(ByteString.fromArrayUnsafe(frame))) {
                // A route that went down took what it held: the receiver finds the gap and asks for a snapshot.
                p.viaRoute = false;
                p.arterySeq = p.sentSeq;
                p.ref.tell(new Interest(self.nodeId(), frame));
            }
        }
    }

    private Behavior<Command> onAck(InterestAck ack) {
        Peer p = peers.get(ack.nodeId());
        if (p == null || p.incarnation != ack.incarnation()) {
            return this;
        }
        while (!p.inFlight.isEmpty() && p.inFlight.peekFirst() <= ack.seq()) {
            p.inFlight.pollFirst();
        }
        send(p);
        return this;
    }

    private Behavior<Command> onTick() {
        int clients = clientCount.getAsInt();
        peers.values().forEach(p -> p.ref.tell(new Keepalive(self.nodeId(), self.incarnation(), p.sentSeq,
                p.arterySeq, clients)));
        return this;
    }

    // ------------------------------------------------------------------ interest: theirs to us

    private Behavior<Command> onInterest(Interest in) {
        Peer p = peers.get(in.nodeId());
        if (p == null) {
            return this;
        }
        FrameCodec.Decoded decoded = FrameCodec.decode(in.batch());
        if (decoded instanceof FrameCodec.Decoded.Success s && s.frame() instanceof RouteInterest batch) {
            stats.interestReceived(false);
            apply(p, batch);
        } else {
            log.warn("interest from {} could not be read ({}): asking for all of it again", p.nodeId, decoded);
            askResync(p);
        }
        return this;
    }

    /**
     * Applies a batch from either channel. A batch numbered at or below what was applied is one from before a
     * snapshot that came the other way: it is in that snapshot already.
     */
    private void apply(Peer p, RouteInterest in) {
        if (p.incarnation != in.incarnation()) {
            return;
        }
        if (in.reset() && in.fromSeq() > p.seq) {
            router.unsubscribeAll(p.interest.values());
            p.interest.clear();
            p.seq = in.fromSeq() - 1;
        } else if (p.seq < 0 || in.fromSeq() <= p.seq) {
            // Waiting for the snapshot asked for (what comes before it is in it), or older than what was applied.
            return;
        } else if (in.fromSeq() != p.seq + 1) {
            log.warn("interest from {} skipped from {} to {}: asking for all of it again", p.nodeId,
                    p.seq, in.fromSeq());
            askResync(p);
            return;
        }
        for (RouteInterest.Change c : in.changes()) {
            InterestCounts.Entry e = new InterestCounts.Entry(c.pattern(), c.queueGroup());
            if (c.present()) {
                if (!p.interest.containsKey(e)) {
                    Subscription s = new Subscription(p.link, 0, e.pattern(), e.queueGroup());
                    p.interest.put(e, s);
                    router.subscribe(s);
                }
            } else {
                Subscription s = p.interest.remove(e);
                if (s != null) {
                    router.unsubscribe(s);
                }
            }
        }
        p.seq = in.lastSeq();
        if (in.ack()) {
            p.ref.tell(new InterestAck(self.nodeId(), self.incarnation(), p.seq));
        }
        p.publish();
    }

    private void askResync(Peer p) {
        p.seq = -1;
        p.claimed = -1;
        p.resyncAskedNanos = System.nanoTime();
        stats.interestResyncAsked();
        p.ref.tell(new Resync(self.nodeId(), context.getSelf()));
    }

    private Behavior<Command> onKeepalive(Keepalive k) {
        Peer p = peers.get(k.nodeId());
        if (p == null || p.incarnation != k.incarnation()) {
            return this;
        }
        p.clients = k.clients();
        // Keepalives go to known peers only: one that lost the Hello that said so still gets its route.
        knowsUs(p);
        if (p.seq < 0) {
            if (System.nanoTime() - p.resyncAskedNanos > RESYNC_RETRY_NANOS) {
                log.warn("interest from {}: no snapshot yet, asking again", p.nodeId);
                askResync(p);
            }
        } else if (k.arterySeq() > p.seq) {
            // Sent on Artery before this keepalive, on the same ordered channel, after all before it was applied
            // (the channel changes only then): lost.
            log.warn("interest from {} is at {} by Artery but this broker has up to {}: asking for all of it",
                    p.nodeId, k.arterySeq(), p.seq);
            askResync(p);
        } else if (p.claimed > p.seq && System.nanoTime() - p.claimedNanos > LOST_BATCH_NANOS) {
            log.warn("interest from {} was at {} {} s ago but this broker has up to {}: asking for all of it",
                    p.nodeId, p.claimed, LOST_BATCH_NANOS / 1_000_000_000L, p.seq);
            askResync(p);
        } else {
            if (p.claimed <= p.seq) {
                // Batches on the route link may still be on their way, behind its publishes, when the keepalive
                // (Artery) arrives; the sender starts a snapshot itself when a route ends with batches in flight.
                // What is announced and never comes is the last resort.
                p.claimed = k.seq();
                p.claimedNanos = System.nanoTime();
            }
            // Acknowledged again: an acknowledgement lost on the way must not hold the sender's window shut.
            p.ref.tell(new InterestAck(self.nodeId(), self.incarnation(), p.seq));
        }
        p.publish();
        return this;
    }

    // ------------------------------------------------------------------ membership and routes

    private Behavior<Command> onMembership(Membership m) {
        if (m.event() instanceof ClusterEvent.MemberRemoved removed) {
            Peer p = peerOf(removed.member());
            if (p != null) {
                drop(p, "removed from the cluster (" + removed.previousStatus() + " before)");
            }
        }
        return this;
    }

    private Behavior<Command> onReachability(Reachability r) {
        Peer p = peerOf(r.event().member());
        if (p == null) {
            return this;
        }
        if (r.event() instanceof ClusterEvent.UnreachableMember) {
            p.reachable = false;
            p.link.disconnect();
            log.info("cluster member {} is unreachable: nothing is forwarded to it until it is back",
                    p.nodeId);
        } else if (r.event() instanceof ClusterEvent.ReachableMember) {
            p.reachable = true;
            log.info("cluster member {} is reachable again", p.nodeId);
            connect(p);
        }
        p.publish();
        return this;
    }

    /**
     * False once this broker is on its way out (leaving, downed, removed). Pekko then reports every other member
     * removed as well (its final, empty membership), which must not reach clients as "the cluster is gone": they
     * need the others' addresses most right then.
     */
    private boolean selfActive() {
        Cluster cluster = Cluster.get(context.getSystem());
        MemberStatus status = cluster.selfMember().status();
        return !cluster.isTerminated() && (status == MemberStatus.up() || status == MemberStatus.weaklyUp()
                || status == MemberStatus.joining());
    }

    private Peer peerOf(Member member) {
        return peers.get(member.address().toString());
    }

    /** {@code p} has shown it would accept our route: open it, if this is news. */
    private void knowsUs(Peer p) {
        if (!p.knowsUs) {
            p.knowsUs = true;
            if (p.reachable) {
                connect(p);
            }
        }
    }

    private void connect(Peer p) {
        if (!p.knowsUs) {
            return;
        }
        RouteHello hello = new RouteHello(self.nodeId(), self.incarnation());
        ActorRef<Command> me = context.getSelf();
        p.link.connect(context.getSystem(), p.routeHost, p.routePort, hello,
                        () -> me.tell(new RouteUp(p.nodeId, p.link)))
                .whenComplete((done, failure) -> me.tell(new RouteEnded(p.nodeId, p.link)));
    }

    private Behavior<Command> onRouteEnded(RouteEnded ended) {
        Peer p = peers.get(ended.nodeId());
        if (p == null || p.link != ended.link()) {
            return this;
        }
        if (p.viaRoute && !p.inFlight.isEmpty()) {
            // What the route held may be lost: the whole interest goes again, by Artery.
            p.inFlight.clear();
            p.viaRoute = false;
            startSnapshot(p);
            send(p);
        }
        if (!p.reachable) {
            return this;
        }
        // The route dropped while its broker is a reachable member: try again, backing off.
        if (p.routeUpNanos != 0 && System.nanoTime() - p.routeUpNanos > 10_000_000_000L) {
            // A link that served for a while starts backing off afresh; one refused at once keeps backing off.
            p.reconnectDelayMillis = 100;
        }
        p.routeUpNanos = 0;
        int delay = p.reconnectDelayMillis;
        p.reconnectDelayMillis = Math.min(5_000, delay * 2);
        timers.startSingleTimer("reconnect-" + p.nodeId, new Reconnect(p.nodeId, p.link),
                Duration.ofMillis(delay + ThreadLocalRandom.current().nextInt(delay + 1)));
        p.publish();
        return this;
    }

    private void drop(Peer p, String why) {
        peers.remove(p.nodeId);
        view.remove(p.nodeId);
        view.incarnations.remove(p.nodeId);
        p.link.disconnect();
        router.unsubscribeAll(p.interest.values());
        p.interest.clear();
        router.forgetRemote(p.link);
        slots[p.link.index()] = false;
        if (selfActive()) {
            serversChanged.run();
        }
        log.info("cluster member {} {}: its interest and its route are gone", p.nodeId, why);
    }

    private record Reconnect(String nodeId, RouteLink link) implements Command { }

    private Behavior<Command> onReconnect(Reconnect r) {
        Peer p = peers.get(r.nodeId());
        if (p != null && p.link == r.link() && p.reachable && !p.link.isConnected()) {
            connect(p);
        }
        return this;
    }
}
