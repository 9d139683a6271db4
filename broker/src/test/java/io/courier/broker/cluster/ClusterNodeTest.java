package io.courier.broker.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.PublisherFlow;
import io.courier.broker.routing.Router;
import io.courier.broker.routing.Subscriber;
import io.courier.broker.routing.Subscription;
import io.courier.broker.session.Capacity;
import io.courier.broker.transport.tcp.IoLoops;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.RouteHello;
import io.courier.protocol.RouteInterest;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One broker's {@link ClusterNode} in a real actor system, its route links on real loopback sockets, and the test
 * playing the other broker: its Artery messages are what a recording actor receives, its route port a socket the
 * test reads. Shows which channel interest takes (route link when up, Artery otherwise) and how the receiving side
 * orders batches that may come either way.
 */
class ClusterNodeTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String SELF = "pekko://courier@127.0.0.1:1";
    private static final long SELF_INCARNATION = 42;
    private static final String PEER = "pekko://courier@127.0.0.1:2";
    private static final long PEER_INCARNATION = 7;

    private final BlockingQueue<ClusterNode.Command> atPeer = new LinkedBlockingQueue<>();
    private final BrokerStats stats = new BrokerStats();
    private final ClusterNode.View view = new ClusterNode.View();
    private BrokerSettings settings;
    private Router router;
    private IoLoops loops;
    private ActorSystem<Void> system;
    private ActorRef<ClusterNode.Command> node;
    private ActorRef<ClusterNode.Command> peer;
    private ServerSocket routePort;

    @BeforeEach
    void start() throws Exception {
        Config config = ConfigFactory.parseString("""
                courier.cluster.enabled = true
                courier.cluster.port = 0
                courier.cluster.route-port = 0
                """).withFallback(ConfigFactory.defaultReference()).resolve();
        settings = BrokerSettings.from(config);
        router = new Router(64);
        loops = new IoLoops(1, 64 * 1024);
        routePort = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        routePort.setSoTimeout((int) WAIT.toMillis());
        CompletableFuture<ActorRef<ClusterNode.Command>> nodeRef = new CompletableFuture<>();
        CompletableFuture<ActorRef<ClusterNode.Command>> peerRef = new CompletableFuture<>();
        Behavior<Void> guardian = Behaviors.setup(context -> {
            peerRef.complete(context.spawn(Behaviors.receiveMessage(m -> {
                atPeer.add(m);
                return Behaviors.same();
            }), "peer"));
            nodeRef.complete(context.spawn(ClusterNode.create(settings, stats, Capacity.of(settings), router,
                    new ClusterNode.Self(SELF, SELF_INCARNATION, "127.0.0.1", 1, "127.0.0.1:1"), view, () -> 0,
                    () -> { }, null, loops), "cluster"));
            return Behaviors.empty();
        });
        system = ActorSystem.create(guardian, ClusterConfig.SYSTEM_NAME,
                ClusterConfig.of(settings.cluster()).withFallback(config));
        node = nodeRef.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        peer = peerRef.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (system != null) {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        if (loops != null) {
            loops.close();
        }
        if (routePort != null) {
            routePort.close();
        }
    }

    /**
     * A peer's first Hello, sent before it has heard of this broker, does not open the route: the peer would refuse
     * it (that happened at every cluster start). Its answer to our Hello does.
     */
    @Test
    void theRouteWaitsForThePeersWordThatItKnowsThisBroker() throws Exception {
        introducePeer(false);
        assertNoRouteYet();
        node.tell(peerHello(true));
        try (Socket route = acceptRoute()) {
            assertThat(routed()).isTrue();
        }
    }

    /** A peer whose Hello saying it knows us was lost still gets its route: its keepalives say the same. */
    @Test
    void aKeepaliveFromThePeerOpensTheRouteWhenItsHelloWasLost() throws Exception {
        introducePeer(false);
        assertNoRouteYet();
        node.tell(new ClusterNode.Keepalive(PEER, PEER_INCARNATION, 0, 0, 0));
        try (Socket route = acceptRoute()) {
            assertThat(routed()).isTrue();
        }
    }

    @Test
    void interestGoesOnTheRouteLinkWhileItIsUpAndByArteryWhenItIsNot() throws Exception {
        introducePeer();
        // The snapshot starts on Artery, behind the Hello: the peer refuses a route from a broker it does not know.
        RouteInterest snapshot = nextByArtery();
        assertThat(snapshot.reset()).isTrue();
        assertThat(snapshot.ack()).as("a snapshot is acknowledged at once").isTrue();
        assertThat(snapshot.changes()).isEmpty();
        node.tell(new ClusterNode.InterestAck(PEER, PEER_INCARNATION, snapshot.lastSeq()));

        try (Socket route = acceptRoute()) {

            router.subscribe(new Subscription(LOCAL, 1, "orders.>", ""));
            RouteInterest change = (RouteInterest) read(route);
            assertThat(change.reset()).isFalse();
            assertThat(change.incarnation()).isEqualTo(SELF_INCARNATION);
            assertThat(change.fromSeq()).isEqualTo(snapshot.lastSeq() + 1);
            assertThat(change.changes()).containsExactly(new RouteInterest.Change("orders.>", "", true));
            assertThat(drain()).as("nothing of it by Artery").noneMatch(m -> m instanceof ClusterNode.Interest);
            node.tell(new ClusterNode.InterestAck(PEER, PEER_INCARNATION, change.lastSeq()));
        }
        // The route is gone (and its port with it, so it cannot come back): the next change takes Artery.
        routePort.close();
        await().atMost(WAIT).until(() -> !routed());
        router.subscribe(new Subscription(LOCAL, 2, "payments.>", "workers"));
        RouteInterest fallback = nextByArtery();
        assertThat(fallback.reset()).isFalse();
        assertThat(fallback.fromSeq()).isEqualTo(snapshot.lastSeq() + 2);
        assertThat(fallback.changes()).containsExactly(new RouteInterest.Change("payments.>", "workers", true));
    }

    @Test
    void batchesFromEitherChannelApplyInOrderOldOnesAreIgnoredAndAGapAsksForASnapshot() throws Exception {
        introducePeer();
        byArtery(batch(1, true, "b.one"));
        awaitPeerInterest(1);
        onTheRoute(batch(2, false, "b.two"));
        awaitPeerInterest(2);
        // From before a snapshot that came the other way: numbered at or below what was applied, ignored.
        byArtery(batch(2, false, "b.stale"));
        byArtery(batch(1, true, "b.stale-snapshot"));
        onTheRoute(batch(3, false, "b.three"));
        awaitPeerInterest(3);
        assertThat(router.match("b.stale").isEmpty()).isTrue();
        assertThat(router.match("b.three").isEmpty()).isFalse();
        assertThat(drain()).noneMatch(m -> m instanceof ClusterNode.Resync);
        assertThat(stats.interestViaRoute()).isEqualTo(2);
        assertThat(stats.interestViaArtery()).isEqualTo(3);

        byArtery(batch(10, false, "b.after-a-gap"));
        expect(ClusterNode.Resync.class);
        assertThat(stats.interestResyncs()).isEqualTo(1);
        assertThat(router.match("b.after-a-gap").isEmpty()).isTrue();
    }

    @Test
    void aKeepaliveFindsALostArteryBatchAtOnceButDoesNotJudgeBatchesStillOnTheRoute() throws Exception {
        introducePeer();
        byArtery(batch(20, true, "c.one"));
        awaitPeerInterest(1);
        // The keepalive (Artery) overtook five changes still on the route: not a gap.
        node.tell(new ClusterNode.Keepalive(PEER, PEER_INCARNATION, 25, 20, 0));
        assertThat(expect(ClusterNode.InterestAck.class).seq()).isEqualTo(20);
        onTheRoute(batch(21, false, "c.2", "c.3", "c.4", "c.5", "c.6"));
        awaitPeerInterest(6);
        node.tell(new ClusterNode.Keepalive(PEER, PEER_INCARNATION, 25, 20, 0));
        assertThat(expect(ClusterNode.InterestAck.class).seq()).isEqualTo(25);
        assertThat(stats.interestResyncs()).isZero();

        // A batch sent by Artery before the keepalive that has not come: lost, whatever the time.
        node.tell(new ClusterNode.Keepalive(PEER, PEER_INCARNATION, 27, 27, 0));
        expect(ClusterNode.Resync.class);
        assertThat(stats.interestResyncs()).isEqualTo(1);
    }

    @Test
    void aRouteThatEndsWithBatchesUnacknowledgedMakesItsSenderSendEverythingAgainByArtery() throws Exception {
        router.subscribe(new Subscription(LOCAL, 1, "kept.>", ""));
        introducePeer();
        RouteInterest snapshot = nextByArtery();
        assertThat(snapshot.changes()).containsExactly(new RouteInterest.Change("kept.>", "", true));
        node.tell(new ClusterNode.InterestAck(PEER, PEER_INCARNATION, snapshot.lastSeq()));
        try (Socket route = acceptRoute()) {
            router.subscribe(new Subscription(LOCAL, 2, "unacknowledged.>", ""));
            assertThat(((RouteInterest) read(route)).changes())
                    .containsExactly(new RouteInterest.Change("unacknowledged.>", "", true));
        }
        // Not acknowledged, and the route is gone: it may not have arrived.
        RouteInterest again = nextByArtery();
        assertThat(again.reset()).isTrue();
        assertThat(again.changes()).containsExactlyInAnyOrder(new RouteInterest.Change("kept.>", "", true),
                new RouteInterest.Change("unacknowledged.>", "", true));
    }

    @Test
    void aSnapshotAskedForThatNeverComesIsAskedForAgainAfterFiveSeconds() throws Exception {
        introducePeer();
        byArtery(batch(1, true, "e.one"));
        awaitPeerInterest(1);
        byArtery(batch(5, false, "e.after-a-gap"));
        expect(ClusterNode.Resync.class);
        long asked = System.nanoTime();
        node.tell(new ClusterNode.Keepalive(PEER, PEER_INCARNATION, 5, 1, 0));
        assertThat(drain()).as("asked a moment ago: not yet again").noneMatch(m -> m instanceof ClusterNode.Resync);
        Thread.sleep(Math.max(0, 5_200 - (System.nanoTime() - asked) / 1_000_000));
        node.tell(new ClusterNode.Keepalive(PEER, PEER_INCARNATION, 5, 1, 0));
        expect(ClusterNode.Resync.class);
        assertThat(stats.interestResyncs()).isEqualTo(2);
        // The snapshot, when it comes, replaces all that peer had.
        byArtery(batch(6, true, "e.two"));
        await().atMost(WAIT).until(() -> !router.match("e.two").isEmpty());
        assertThat(router.match("e.one").isEmpty()).isTrue();
    }

    @Test
    void changesHeldBackForASilentPeerAreBoundedByASnapshotOfWhatIsLeft() throws Exception {
        routePort.close();
        introducePeer();
        RouteInterest snapshot = nextByArtery();
        // The peer acknowledges nothing: the snapshot and 15 SUBs, a batch each, fill the window of 16.
        for (int i = 0; i < 15; i++) {
            router.subscribe(new Subscription(LOCAL, i, "live." + i, ""));
            assertThat(nextByArtery().changes()).containsExactly(new RouteInterest.Change("live." + i, "", true));
        }
        // Held back: 1,100 patterns that come and go, more than what is live plus 1,024.
        for (int i = 0; i < 1_100; i++) {
            Subscription s = new Subscription(LOCAL, 100 + i, "gone." + i, "");
            router.subscribe(s);
            router.unsubscribe(s);
        }
        router.subscribe(new Subscription(LOCAL, 15, "live.15", ""));
        assertThat(drain()).as("the window is full").noneMatch(m -> m instanceof ClusterNode.Interest);
        node.tell(new ClusterNode.InterestAck(PEER, PEER_INCARNATION, snapshot.lastSeq() + 15));
        RouteInterest next = nextByArtery();
        assertThat(next.reset()).as("what waited became a snapshot").isTrue();
        assertThat(next.changes()).hasSize(16).allSatisfy(c -> {
            assertThat(c.pattern()).startsWith("live.");
            assertThat(c.present()).isTrue();
        });
    }

    @Test
    void anUnreadableBatchByArteryAsksForASnapshot() throws Exception {
        introducePeer();
        byte[] frame = FrameCodec.encode(batch(1, true, "d.one"));
        frame[frame.length - 1] = 7;
        node.tell(new ClusterNode.Interest(PEER, frame));
        expect(ClusterNode.Resync.class);
        assertThat(router.match("d.one").isEmpty()).isTrue();
    }

    // ------------------------------------------------------------------ the other broker's side

    private static final Subscriber LOCAL = new Subscriber() {
        @Override
        public long id() {
            return 1;
        }

        @Override
        public boolean offer(int sid, ByteString body, PublisherFlow flow) {
            return true;
        }

        @Override
        public void expired(Subscription subscription) {
        }

        @Override
        public void failed(Throwable cause) {
        }
    };

    /**
     * The peer says Hello in answer to the node's (it knows the node), with the test's socket as its route port; the
     * node answers with its own Hello.
     */
    private void introducePeer() throws InterruptedException {
        introducePeer(true);
    }

    private void introducePeer(boolean knowsYou) throws InterruptedException {
        node.tell(peerHello(knowsYou));
        ClusterNode.Hello hello = expect(ClusterNode.Hello.class);
        assertThat(hello.nodeId()).isEqualTo(SELF);
        assertThat(hello.knowsYou()).as("the node has taken the peer in").isTrue();
    }

    private ClusterNode.Hello peerHello(boolean knowsYou) {
        return new ClusterNode.Hello(PEER, PEER_INCARNATION, "127.0.0.1", routePort.getLocalPort(), "127.0.0.1:2",
                knowsYou, peer);
    }

    /** No route reaches the test's route port for half a second. */
    private void assertNoRouteYet() throws IOException {
        routePort.setSoTimeout(500);
        try (Socket unexpected = routePort.accept()) {
            throw new AssertionError("a route was opened to a peer that has not said it knows the node: "
                    + unexpected);
        } catch (java.net.SocketTimeoutException expected) {
            // Nothing dialled.
        } finally {
            routePort.setSoTimeout((int) WAIT.toMillis());
        }
    }

    private boolean routed() {
        return view.peers().stream().anyMatch(p -> p.nodeId().equals(PEER) && p.routed());
    }

    private void awaitPeerInterest(int entries) {
        await().atMost(WAIT).until(() -> view.peers().stream()
                .anyMatch(p -> p.nodeId().equals(PEER) && p.interest() == entries));
    }

    private static RouteInterest batch(long fromSeq, boolean reset, String... patterns) {
        return new RouteInterest(PEER_INCARNATION, fromSeq, reset, false,
                java.util.Arrays.stream(patterns).map(p -> new RouteInterest.Change(p, "", true)).toList());
    }

    private void byArtery(RouteInterest batch) {
        node.tell(new ClusterNode.Interest(PEER, FrameCodec.encode(batch)));
    }

    /** As a route session does when it reads a ROUTE_INTEREST from the peer: through the view. */
    private void onTheRoute(RouteInterest batch) {
        view.interest(PEER, batch);
    }

    private RouteInterest nextByArtery() throws InterruptedException {
        ClusterNode.Interest in = expect(ClusterNode.Interest.class);
        return (RouteInterest) ((FrameCodec.Decoded.Success) FrameCodec.decode(in.batch())).frame();
    }

    /** The next message of {@code type} the node sent the peer; keepalives and other acknowledgements pass by. */
    private <T extends ClusterNode.Command> T expect(Class<T> type) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            ClusterNode.Command m = atPeer.poll(100, TimeUnit.MILLISECONDS);
            if (type.isInstance(m)) {
                return type.cast(m);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " reached the peer in " + WAIT);
    }

    /** What reaches the peer in the next half second. */
    private List<ClusterNode.Command> drain() throws InterruptedException {
        Thread.sleep(500);
        List<ClusterNode.Command> got = new java.util.ArrayList<>();
        atPeer.drainTo(got);
        return got;
    }

    /** The node's route link to the peer, accepted on the test's route port: its hello read, the node aware it is up. */
    private Socket acceptRoute() throws IOException {
        Socket route = routePort.accept();
        route.setSoTimeout((int) WAIT.toMillis());
        assertThat(read(route)).isEqualTo(new RouteHello(SELF, SELF_INCARNATION));
        await().atMost(WAIT).until(this::routed);
        return route;
    }

    private static Frame read(Socket route) throws IOException {
        DataInputStream in = new DataInputStream(route.getInputStream());
        int length = in.readInt();
        byte[] frame = in.readNBytes(length);
        FrameCodec.Decoded decoded = FrameCodec.decodeFrame(ByteBuffer.wrap(frame));
        assertThat(decoded).isInstanceOf(FrameCodec.Decoded.Success.class);
        return ((FrameCodec.Decoded.Success) decoded).frame();
    }
}
