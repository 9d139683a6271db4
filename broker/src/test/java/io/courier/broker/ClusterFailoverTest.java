package io.courier.broker;

import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.CourierException;
import io.courier.client.Options;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A cluster of three broker processes losing one: killed with SIGKILL mid-stream, restarted on the same address, or
 * cut off from the others by a network partition (a test-only switch that makes its Artery drop all traffic to and
 * from the others). Each test runs a cluster of its own; every process is killed after it.
 */
class ClusterFailoverTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Messages published before the graceful stop has finished (half before it begins), and after it. */
    private static final int BEFORE_STOP = 200_000;
    private static final int AFTER_STOP = 10_000;

    private final List<BrokerProcess> nodes = new ArrayList<>();
    private final List<Connection> clients = new CopyOnWriteArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private int[] clusterPorts;

    @AfterEach
    void stopAll() throws Exception {
        stop.set(true);
        for (Connection c : clients) {
            c.close();
        }
        for (BrokerProcess n : nodes) {
            n.close();
        }
    }

    private void startCluster() throws Exception {
        ClusterTest.Cluster3.Started started = ClusterTest.Cluster3.startOnFreePorts(3, 3,
                (i, ports) -> ClusterTest.Cluster3.node(ports[i], ClusterTest.Cluster3.seeds(ports)));
        clusterPorts = started.ports();
        nodes.addAll(started.nodes());
    }

    private String seeds() {
        return ClusterTest.Cluster3.seeds(clusterPorts);
    }

    private static void awaitPeers(List<BrokerProcess> alive, int peers) {
        await().atMost(WAIT).until(() -> {
            for (BrokerProcess n : alive) {
                if (!n.stats().get("peers").equals(Integer.toString(peers))) {
                    return false;
                }
            }
            return true;
        });
    }

    private Connection client(BrokerProcess node, String name) throws Exception {
        Connection c = Courier.connect(Options.builder().server("127.0.0.1:" + node.address().getPort()).name(name)
                .reconnectWait(Duration.ofMillis(50)).reconnectMaxWait(Duration.ofMillis(500))
                .maxReconnectAttempts(-1).build());
        clients.add(c);
        return c;
    }

    /** Publishes on {@code pub} to {@code topic}, one message every millisecond, until the test ends. */
    private CompletableFuture<Void> publishing(Connection pub, String topic, AtomicLong sent) {
        return CompletableFuture.runAsync(() -> {
            while (!stop.get()) {
                try {
                    pub.publish(topic, new byte[8]);
                    sent.incrementAndGet();
                    TimeUnit.MILLISECONDS.sleep(1);
                } catch (CourierException e) {
                    // reconnecting: try again
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    @Test
    void whenABrokerIsKilledItsClientsMoveToTheOthersAndTrafficBetweenTheSurvivorsFlows() throws Exception {
        startCluster();
        BrokerProcess victim = nodes.get(2);
        AtomicLong onSurvivor = new AtomicLong();
        AtomicLong onMover = new AtomicLong();
        client(nodes.get(0), "survivor").subscribe("stream.>", m -> onSurvivor.incrementAndGet());
        Connection mover = client(victim, "mover");
        mover.subscribe("stream.>", m -> onMover.incrementAndGet());
        mover.flush(WAIT);
        AtomicLong sent = new AtomicLong();
        publishing(client(nodes.get(1), "publisher"), "stream.x", sent);
        await().atMost(WAIT).until(() -> onSurvivor.get() > 100 && onMover.get() > 100);

        victim.close();   // SIGKILL
        long moverBefore = onMover.get();
        long survivorBefore = onSurvivor.get();
        await().atMost(WAIT).until(() -> mover.connectedServer() != null
                && mover.connectedServer().getPort() != victim.address().getPort() && onMover.get() > moverBefore + 100);
        await().atMost(WAIT).until(() -> onSurvivor.get() > survivorBefore + 100);
        // The survivors drop the dead broker's interest and route once the split brain resolver has removed it.
        awaitPeers(nodes.subList(0, 2), 1);
        assertThat(Long.parseLong(nodes.get(1).stats().get("route-drops")))
                .as("publishes dropped for the dead broker: bounded by its detection, not growing after")
                .isLessThan(sent.get());
        long dropsAfterRemoval = Long.parseLong(nodes.get(1).stats().get("route-drops"));
        long sentAfterRemoval = sent.get();
        await().atMost(WAIT).until(() -> sent.get() > sentAfterRemoval + 200);
        assertThat(Long.parseLong(nodes.get(1).stats().get("route-drops"))).isEqualTo(dropsAfterRemoval);
    }

    /**
     * A broker that freezes (SIGSTOP: its sockets stay open, nothing is read) is a route that stops draining: the
     * publishers feeding it wait, as for any route, but only until the cluster finds it unreachable and its route is
     * cut; then they go on, the broker beside them getting every message in order, and the frozen one is downed. When
     * it wakes (SIGCONT) it finds itself out of the cluster and stops; its client has moved on.
     */
    @Test
    void aFrozenBrokerHoldsThePublishersBackOnlyUntilItIsUnreachableThenItIsDownedAndItsClientMoves()
            throws Exception {
        startCluster();
        BrokerProcess frozen = nodes.get(2);
        AtomicLong survivorGot = new AtomicLong();
        AtomicLong outOfOrder = new AtomicLong();
        AtomicLong probes = new AtomicLong();
        AtomicLong last = new AtomicLong(-1);
        Connection survivor = Courier.connect(Options.builder().server(clientAddress(nodes.get(0))).name("survivor")
                .subscriptionPendingLimit(4_000_000).build());
        clients.add(survivor);
        survivor.subscribe("freeze.t", m -> {
            if (m.payload().length < Long.BYTES) {
                probes.incrementAndGet();
                return;
            }
            long seq = ByteBuffer.wrap(m.payload()).getLong();
            if (seq != last.get() + 1) {
                outOfOrder.incrementAndGet();
            }
            last.set(seq);
            survivorGot.incrementAndGet();
        });
        AtomicLong moverGot = new AtomicLong();
        Connection mover = client(frozen, "mover");
        mover.subscribe("freeze.t", m -> moverGot.incrementAndGet());
        mover.flush(WAIT);
        Connection pub = client(nodes.get(1), "publisher");
        ClusterTest.awaitRoute(pub, "freeze.t", () -> probes.get() > 0 && moverGot.get() > 0);

        AtomicLong sent = new AtomicLong();
        // Numbered 1 KiB messages as fast as the publisher may go; one it was not let send (the client waits at most
        // 10 s for room) is sent again, so the numbers the survivor sees have no gaps.
        CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
            byte[] payload = new byte[1024];
            while (!stop.get() && sent.get() < 3_000_000) {
                ByteBuffer.wrap(payload).putLong(sent.get());
                try {
                    pub.publish("freeze.t", payload);
                    sent.incrementAndGet();
                } catch (CourierException e) {
                    // gave up waiting for room: the same number again
                }
            }
        });
        await().atMost(WAIT).until(() -> survivorGot.get() > 1_000 && moverGot.get() > 1_000);
        AtomicLong maxQueued = new AtomicLong();
        CompletableFuture<Void> sampling = CompletableFuture.runAsync(() -> {
            while (!stop.get()) {
                try {
                    maxQueued.accumulateAndGet(Long.parseLong(nodes.get(1).resources().get("queued")), Math::max);
                    TimeUnit.MILLISECONDS.sleep(200);
                } catch (Exception e) {
                    return;
                }
            }
        });

        signal(frozen, "STOP");
        String frozenNode = "pekko://courier@127.0.0.1:" + clusterPorts[2];
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() ->
                !ClusterTest.member(nodes.get(1), frozenNode).get("reachable").asBoolean());
        long atUnreachable = survivorGot.get();
        // Still frozen: the publishers go on once its route is cut.
        await().atMost(WAIT).until(() -> survivorGot.get() > atUnreachable + 20_000);
        assertThat(nodes.get(1).stats().get("peers")).as("not yet removed by the split brain resolver").isEqualTo("2");
        // keep-majority: the two that see each other down the frozen one.
        awaitPeers(nodes.subList(0, 2), 1);
        stop.set(true);
        publishing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        sampling.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        pub.flush(WAIT);
        await().atMost(WAIT).until(() -> survivorGot.get() == sent.get());
        assertThat(outOfOrder.get()).as("the survivor's messages, each after the one before").isZero();
        // The route to the frozen broker may queue route-max-pending (64 MiB); nothing else grows.
        assertThat(maxQueued.get()).as("bytes queued on the publisher's broker").isLessThan(96L << 20);
        assertThat(nodes.get(1).isAlive()).isTrue();

        signal(frozen, "CONT");
        try {
            await().atMost(WAIT).until(() -> !frozen.isAlive());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the woken broker is still up; its output:\n" + frozen.output(), e);
        }
        await().atMost(WAIT).until(() -> mover.connectedServer() != null
                && mover.connectedServer().getPort() != frozen.address().getPort());
    }

    private static void signal(BrokerProcess node, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(node.pid())).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -" + signal).isTrue();
    }

    @Test
    void aBrokerStoppedGracefullyLeavesAndNothingItsPublishersSentIsLostOrDoubled() throws Exception {
        startCluster();
        BrokerProcess leaving = nodes.get(2);
        BitSet seen = new BitSet();   // guarded by itself; millions of sequence numbers in a few MB
        AtomicLong distinct = new AtomicLong();
        AtomicLong deliveries = new AtomicLong();
        AtomicLong probes = new AtomicLong();
        // Every message is counted, so the subscriber's own queue must not drop any while the test JVM shares two
        // cores with three brokers; the publisher sends BEFORE_STOP + AFTER_STOP in all, which bounds it.
        Connection sub = Courier.connect(Options.builder().server(clientAddress(nodes.get(0))).name("sub")
                .subscriptionPendingLimit(BEFORE_STOP + AFTER_STOP + 100_000).build());
        clients.add(sub);
        sub.subscribe("leave.t", m -> {
            if (m.payload().length == Long.BYTES) {
                int i = (int) ByteBuffer.wrap(m.payload()).getLong();
                synchronized (seen) {
                    if (!seen.get(i)) {
                        seen.set(i);
                        distinct.incrementAndGet();
                    }
                }
                deliveries.incrementAndGet();
            } else {
                probes.incrementAndGet();
            }
        });
        Connection pub = client(leaving, "pub-on-the-leaving-broker");
        ClusterTest.awaitRoute(pub, "leave.t", () -> probes.get() > 0);
        AtomicLong sent = new AtomicLong();
        AtomicBoolean moved = new AtomicBoolean();
        // As fast as the publisher goes: the route to node 1 holds a backlog when the stop begins, and the publisher
        // is still publishing while the broker drains it; the last AFTER_STOP go once it has moved.
        CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
            while (!stop.get() && sent.get() < BEFORE_STOP + AFTER_STOP) {
                if (!moved.get() && sent.get() >= BEFORE_STOP) {
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                    continue;
                }
                try {
                    pub.publish("leave.t", ByteBuffer.allocate(Long.BYTES).putLong(sent.get()).array());
                    sent.incrementAndGet();
                } catch (CourierException e) {
                    // the reconnect buffer is full while the client moves: try again
                    Thread.onSpinWait();
                }
            }
        });
        await().atMost(WAIT).until(() -> sent.get() >= BEFORE_STOP / 2);
        assertThat(leaving.terminate(60)).as("SIGTERM: a graceful stop; its output:%n%s", leaving.output())
                .isZero();
        awaitPeers(nodes.subList(0, 2), 1);
        long atLeave = sent.get();
        moved.set(true);
        publishing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(pub.connectedServer()).isNotNull();
        pub.flush(WAIT);
        try {
            await().atMost(WAIT).until(() -> distinct.get() == sent.get());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            long missing = 0;
            long firstMissing = -1;
            for (int i = 0; i < sent.get(); i++) {
                boolean got;
                synchronized (seen) {
                    got = seen.get(i);
                }
                if (!got) {
                    missing++;
                    firstMissing = firstMissing < 0 ? i : firstMissing;
                }
            }
            throw new AssertionError(missing + " of " + sent.get() + " never arrived (first " + firstMissing
                    + "; " + atLeave + " were sent before the stop); the leaving broker's output:\n"
                    + leaving.output(), e);
        }
        assertThat(deliveries.get()).as("each once").isEqualTo(sent.get());
    }

    @Test
    void aBrokerRestartedOnTheSameAddressRejoinsAndGetsTheClustersInterest() throws Exception {
        startCluster();
        AtomicLong received = new AtomicLong();
        Connection sub = client(nodes.get(0), "sub");
        sub.subscribe("rejoin.>", m -> received.incrementAndGet());
        String killed = clientAddress(nodes.get(2));
        // The broker's list of servers may not hold every member yet when the client connects: the rest come with INFO.
        await().atMost(WAIT).until(() -> sub.serverInfo().servers().contains(killed));
        nodes.get(2).close();
        awaitPeers(nodes.subList(0, 2), 1);
        // INFO (protocol version 2): the client hears that the cluster changed without reconnecting.
        await().atMost(WAIT).until(() -> !sub.serverInfo().servers().contains(killed));
        BrokerProcess restarted = BrokerProcess.start(ClusterTest.Cluster3.node(clusterPorts[2], seeds()),
                "-Xmx256m");
        nodes.set(2, restarted);
        awaitPeers(nodes, 2);
        await().atMost(WAIT).until(() -> sub.serverInfo().servers().contains(clientAddress(restarted)));
        Connection pub = client(restarted, "pub-on-restarted");
        ClusterTest.awaitRoute(pub, "rejoin.x", () -> received.get() > 0);
    }

    private static String clientAddress(BrokerProcess node) {
        return "127.0.0.1:" + node.address().getPort();
    }

    @Test
    void aPartitionedBrokerIsDownedByTheMajorityAndItsClientsMoveToTheMajority() throws Exception {
        startCluster();
        BrokerProcess minority = nodes.get(2);
        AtomicLong received = new AtomicLong();
        Connection client = client(minority, "on-the-minority");
        client.subscribe("split.>", m -> received.incrementAndGet());
        client.flush(WAIT);
        AtomicLong sent = new AtomicLong();
        publishing(client(nodes.get(1), "publisher"), "split.x", sent);
        await().atMost(WAIT).until(() -> received.get() > 100);

        // Both ends of both links at once, so that no broker sees only half of the partition.
        for (int i = 0; i < 2; i++) {
            minority.blackhole(nodeId(clusterPorts[i]));
            nodes.get(i).blackhole(nodeId(clusterPorts[2]));
        }
        // Before the split brain resolver decides, the majority's status flags the third as unreachable.
        String minorityNode = ClusterTest.self(minority);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
            var seen = ClusterTest.member(nodes.get(0), minorityNode);
            return !seen.get("reachable").asBoolean();
        });
        // keep-majority: the two that still see each other down the third; the third downs itself and stops.
        try {
            await().atMost(WAIT).until(() -> !minority.isAlive());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the minority is still up; its output:\n" + minority.output(), e);
        }
        for (int i = 0; i < 2; i++) {
            assertThat(nodes.get(i).isAlive()).as("majority node %d alive; its output:\n%s", i, nodes.get(i).output())
                    .isTrue();
        }
        assertThat(minority.output()).contains("courier-test-broker-terminated");
        awaitPeers(nodes.subList(0, 2), 1);
        long before = received.get();
        await().atMost(WAIT).until(() -> client.connectedServer() != null
                && client.connectedServer().getPort() != minority.address().getPort() && received.get() > before + 100);
    }

    @Test
    void interestChangedWhileArteryIsSilentGoesOnTheRouteAsFarAsTheWindowLetsItAndTheRestOnceItHearsAgain()
            throws Exception {
        startCluster();
        // Up members are not yet peers: until they have said Hello, interest has nothing to be lost from.
        awaitPeers(nodes, 2);
        BrokerProcess node1 = nodes.get(0);
        BrokerProcess node2 = nodes.get(1);
        await().atMost(WAIT).until(() -> node1.stats().get("routed").equals("2"));
        String id1 = nodeId(clusterPorts[0]);
        String id2 = nodeId(clusterPorts[1]);
        long resyncsBefore = Long.parseLong(node2.stats().get("interest-resyncs"));
        Connection sub = client(node1, "subscribed-in-the-silence");
        Connection pub = client(node2, "publisher-in-the-silence");
        int topics = 60;
        BitSet got = new BitSet(topics);
        node1.blackhole(id2);
        node2.blackhole(id1);
        // One SUB at a time, mostly a batch each: far more than the 16 a peer may leave unacknowledged. The route
        // link stays up and carries them, but the acknowledgements (Artery) are lost, for less than the failure
        // detector's pause (10 s here), so node 2 stays a reachable member throughout.
        for (int i = 0; i < topics; i++) {
            int n = i;
            sub.subscribe("silence." + i, m -> {
                synchronized (got) {
                    got.set(n);
                }
            });
            sub.flush(WAIT);
        }
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
            publishAll(pub, topics);
            synchronized (got) {
                return got.cardinality() >= 16;
            }
        });
        Thread.sleep(500);
        publishAll(pub, topics);
        pub.flush(WAIT);
        sub.flush(WAIT);
        synchronized (got) {
            // At least a window's worth went (16 batches, some may hold two SUBs), and the window held the rest.
            assertThat(got.cardinality()).as("topics known to node 2 while unacknowledged").isBetween(16, topics - 1);
        }
        node1.heal(id2);
        node2.heal(id1);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
            publishAll(pub, topics);
            synchronized (got) {
                return got.cardinality() == topics;
            }
        });
        // Nothing was lost, so nothing asked for a snapshot: the keepalive's answer opened the window again.
        assertThat(Long.parseLong(node2.stats().get("interest-resyncs"))).isEqualTo(resyncsBefore);
    }

    private static void publishAll(Connection pub, int topics) {
        for (int i = 0; i < topics; i++) {
            pub.publish("silence." + i, new byte[1]);
        }
    }

    private static String nodeId(int clusterPort) {
        return "pekko://courier@127.0.0.1:" + clusterPort;
    }
}
