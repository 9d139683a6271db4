package io.courier.broker;

import com.fasterxml.jackson.databind.JsonNode;
import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.Options;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.RouteHello;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three brokers, each a JVM of its own on 127.0.0.1, forming one cluster on Pekko Cluster: subscriptions on one
 * broker receive what is published on the others, once each, in order; queue groups span the brokers; a broker
 * without interest gets nothing forwarded. The processes are killed after the class, even when a test failed.
 */
class ClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final List<BrokerProcess> nodes = new ArrayList<>();
    private static final List<Connection> clients = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        nodes.addAll(Cluster3.start());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (Connection c : clients) {
            c.close();
        }
        for (BrokerProcess n : nodes) {
            n.close();
        }
    }

    static Connection client(BrokerProcess node, String name) throws Exception {
        Connection c = Courier.connect(Options.builder().server("127.0.0.1:" + node.address().getPort()).name(name)
                .build());
        clients.add(c);
        return c;
    }

    /** Publishes probes on {@code pub} until {@code arrived} says one got through: interest has propagated. */
    static void awaitRoute(Connection pub, String topic, BooleanSupplier arrived) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
            pub.publish(topic, "probe".getBytes());
            return arrived.getAsBoolean();
        });
    }

    @Test
    void aSubscriberOnOneBrokerReceivesWhatIsPublishedOnTheOthersOnceEach() throws Exception {
        Connection sub = client(nodes.get(0), "sub");
        Map<String, AtomicLong> got = new ConcurrentHashMap<>();
        sub.subscribe("orders.>", m -> got.computeIfAbsent(m.payloadAsString(), k -> new AtomicLong())
                .incrementAndGet());
        sub.flush(WAIT);
        Connection pub2 = client(nodes.get(1), "pub2");
        Connection pub3 = client(nodes.get(2), "pub3");
        awaitRoute(pub2, "orders.probe", () -> got.containsKey("probe"));
        awaitRoute(pub3, "orders.probe", () -> got.get("probe").get() > 1);
        for (int i = 0; i < 100; i++) {
            pub2.publish("orders.eu.created", ("from2-" + i).getBytes());
            pub3.publish("orders.us", ("from3-" + i).getBytes());
        }
        pub2.flush(WAIT);
        pub3.flush(WAIT);
        await().atMost(WAIT).until(() -> got.keySet().stream().filter(k -> k.startsWith("from")).count() == 200);
        sub.flush(WAIT);
        assertThat(got.entrySet().stream().filter(e -> e.getKey().startsWith("from")))
                .as("each exactly once").allSatisfy(e -> assertThat(e.getValue().get()).isEqualTo(1));
    }

    @Test
    void aSubscriptionsInterestTravelsOnTheRouteLinksOnceTheyAreUp() throws Exception {
        BrokerProcess node1 = nodes.get(0);
        await().atMost(WAIT).until(() -> node1.stats().get("routed").equals("2"));
        long viaRoute2 = Long.parseLong(nodes.get(1).stats().get("interest-via-route"));
        long viaRoute3 = Long.parseLong(nodes.get(2).stats().get("interest-via-route"));
        long viaArtery2 = Long.parseLong(nodes.get(1).stats().get("interest-via-artery"));
        awaitForwarded(node1, nodes.get(1), "interest.on.route");
        assertThat(Long.parseLong(nodes.get(1).stats().get("interest-via-route"))).isGreaterThan(viaRoute2);
        assertThat(Long.parseLong(nodes.get(2).stats().get("interest-via-route"))).isGreaterThan(viaRoute3);
        // Its route up and nothing in flight, node 1 sent none of it by Artery.
        assertThat(Long.parseLong(nodes.get(1).stats().get("interest-via-artery"))).isEqualTo(viaArtery2);
    }

    /**
     * A broker opens its route to another only once that one has said it knows it: before, a route could reach its
     * peer ahead of the peer's news of the sender (a TCP connect on loopback beats a message through Artery), be
     * refused as a stranger's and come back on a retry, taking with it the interest it had been given.
     */
    @Test
    void theRoutesBetweenTheBrokersComeUpWithoutBeingRefusedOnTheWay() throws Exception {
        for (BrokerProcess n : nodes) {
            await().atMost(WAIT).until(() -> n.stats().get("routed").equals("2"));
        }
        List<String> members = new ArrayList<>();
        for (BrokerProcess n : nodes) {
            members.add(self(n));
        }
        for (BrokerProcess n : nodes) {
            List<String> refusals = n.output().lines()
                    .filter(l -> l.contains("closed: ") && members.stream().anyMatch(l::contains))
                    .toList();
            assertThat(refusals).as("routes from members closed on " + self(n)).isEmpty();
        }
    }

    @Test
    void strangersOnTheRoutePortAreClosedAndTheRoutesBetweenTheBrokersCarryOn() throws Exception {
        BrokerProcess node1 = nodes.get(0);
        InetSocketAddress routes = routeAddress(node1);
        try (RawClient silent = new RawClient(routes);
             RawClient liar = new RawClient(routes);
             RawClient garbage = new RawClient(routes)) {
            // Claims to be a member that does not exist.
            liar.send(new RouteHello("pekko://courier@127.0.0.1:1", 1));
            // Not a frame: a length of 2 GiB.
            garbage.sendRaw(new byte[] {0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x40});
            assertThat(liar.awaitClosedByPeer(WAIT)).as("a hello from no member").isTrue();
            assertThat(garbage.awaitClosedByPeer(WAIT)).as("garbage").isTrue();
            // Says nothing: closed at courier.connect-timeout (5 s).
            assertThat(silent.awaitClosedByPeer(WAIT)).as("silence").isTrue();
        }
        awaitForwarded(node1, nodes.get(2), "strangers.after");
        assertThat(node1.stats().get("routed")).isEqualTo("2");
    }

    @Test
    void aFloodOfSilentStrangersOnTheRoutePortClosesTheOldestFirst() throws Exception {
        BrokerProcess node1 = nodes.get(0);
        InetSocketAddress routes = routeAddress(node1);
        List<RawClient> flood = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                flood.add(new RawClient(routes));
            }
            // 64 may wait for their hello at once: the 36 that waited longest go, long before the 5 s deadline.
            await().atMost(Duration.ofSeconds(3)).until(() -> closedByPeer(flood) >= 36);
            assertThat(closedByPeer(flood.subList(0, 36))).as("the oldest").isEqualTo(36);
        } finally {
            for (RawClient c : flood) {
                c.close();
            }
        }
        assertThat(node1.stats().get("routed")).isEqualTo("2");
        awaitForwarded(node1, nodes.get(1), "flood.after");
    }

    private static InetSocketAddress routeAddress(BrokerProcess node) throws Exception {
        return new InetSocketAddress("127.0.0.1", Integer.parseInt(node.stats().get("route-port")));
    }

    /** How many of {@code clients} the broker has closed by now (each is read for at most a millisecond). */
    private static int closedByPeer(List<RawClient> clients) throws IOException {
        int closed = 0;
        for (RawClient c : clients) {
            if (c.awaitClosedByPeer(Duration.ofMillis(1))) {
                closed++;
            }
        }
        return closed;
    }

    /** A subscriber on {@code subscribed} to {@code topic} receives what a client of {@code publishing} publishes. */
    private static void awaitForwarded(BrokerProcess subscribed, BrokerProcess publishing, String topic)
            throws Exception {
        Connection sub = client(subscribed, "sub-" + topic);
        AtomicLong got = new AtomicLong();
        sub.subscribe(topic, m -> got.incrementAndGet());
        sub.flush(WAIT);
        awaitRoute(client(publishing, "pub-" + topic), topic, () -> got.get() > 0);
    }

    @Test
    void aUdpPublishOnOneBrokerReachesUdpAndTcpSubscribersOnAnother() throws Exception {
        Connection udpSub = Courier.connect(Options.builder().server("127.0.0.1:" + nodes.get(0).address().getPort())
                .name("udp-sub").udp(true).build());
        clients.add(udpSub);
        Connection tcpSub = client(nodes.get(0), "tcp-sub");
        Set<String> overUdp = ConcurrentHashMap.newKeySet();
        Set<String> overTcp = ConcurrentHashMap.newKeySet();
        udpSub.subscribe("game.>", m -> overUdp.add(m.payloadAsString()), io.courier.client.Delivery.UDP);
        tcpSub.subscribe("game.>", m -> overTcp.add(m.payloadAsString()));
        udpSub.flush(WAIT);
        tcpSub.flush(WAIT);
        Connection pub = Courier.connect(Options.builder().server("127.0.0.1:" + nodes.get(1).address().getPort())
                .name("udp-pub").udp(true).build());
        clients.add(pub);
        try {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
                pub.publishUdp("game.probe", "probe".getBytes());
                return overUdp.contains("probe") && overTcp.contains("probe");
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("over UDP " + overUdp + ", over TCP " + overTcp + "; publisher " + pub.udpCounters()
                    + ", subscriber " + udpSub.udpCounters() + "; node 1 " + nodes.get(0).stats() + "; node 2 "
                    + nodes.get(1).stats(), e);
        }
        for (int i = 0; i < 100; i++) {
            pub.publishUdp("game.pos", ("pos-" + i).getBytes());
            Thread.sleep(1);
        }
        await().atMost(WAIT).until(() -> overTcp.stream().filter(p -> p.startsWith("pos-")).count() == 100
                && overUdp.stream().filter(p -> p.startsWith("pos-")).count() == 100);
    }

    @Test
    void aPublishIsForwardedOncePerBrokerHoweverManyOfItsPatternsMatchAndNeverToABrokerWithoutInterest()
            throws Exception {
        Connection sub = client(nodes.get(0), "many-patterns");
        AtomicLong received = new AtomicLong();
        for (String p : List.of("fan.>", "fan.*", "fan.x", "*.x", ">")) {
            sub.subscribe(p, m -> received.incrementAndGet());
        }
        sub.flush(WAIT);
        Connection pub = client(nodes.get(1), "fan-pub");
        awaitRoute(pub, "fan.x", () -> received.get() > 0);
        pub.flush(WAIT);
        // Every probe has left node 2 by now; count from when everything forwarded anywhere has arrived.
        await().atMost(WAIT).until(() -> total("routed-in") == total("routed-out"));
        long out2 = Long.parseLong(nodes.get(1).stats().get("routed-out"));
        long in1 = Long.parseLong(nodes.get(0).stats().get("routed-in"));
        long in3 = Long.parseLong(nodes.get(2).stats().get("routed-in"));
        for (int i = 0; i < 1000; i++) {
            pub.publish("fan.x", new byte[16]);
        }
        pub.flush(WAIT);
        await().atMost(WAIT).until(() -> Long.parseLong(nodes.get(0).stats().get("routed-in")) - in1 >= 1000);
        assertThat(Long.parseLong(nodes.get(1).stats().get("routed-out")) - out2)
                .as("one forward per message to the one broker with interest").isEqualTo(1000);
        assertThat(Long.parseLong(nodes.get(0).stats().get("routed-in")) - in1).isEqualTo(1000);
        assertThat(Long.parseLong(nodes.get(2).stats().get("routed-in")) - in3)
                .as("nothing forwarded to a broker without interest").isZero();
    }

    @Test
    void aQueueGroupSpanningBrokersGetsEachMessageExactlyOnce() throws Exception {
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        AtomicLong deliveries = new AtomicLong();
        AtomicLong probesOnNode1 = new AtomicLong();
        AtomicLong probesOnNode3 = new AtomicLong();
        List<Connection> workers = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            for (int node : new int[] {0, 2}) {
                AtomicLong probes = node == 0 ? probesOnNode1 : probesOnNode3;
                Connection w = client(nodes.get(node), "worker-" + node + "-" + k);
                // Overlapping patterns on the two brokers: one group all the same.
                w.subscribe(node == 0 ? "jobs.>" : "jobs.*", "workers", m -> {
                    int i = ByteBuffer.wrap(m.payload()).getInt();
                    if (i < 0) {
                        probes.incrementAndGet();
                    } else {
                        seen.add(i);
                        deliveries.incrementAndGet();
                    }
                });
                workers.add(w);
            }
        }
        for (Connection w : workers) {
            w.flush(WAIT);
        }
        Connection pub = client(nodes.get(1), "jobs-pub");
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
            pub.publish("jobs.run", ByteBuffer.allocate(4).putInt(-1).array());
            return probesOnNode1.get() > 0 && probesOnNode3.get() > 0;
        });
        int messages = 2000;
        for (int i = 0; i < messages; i++) {
            pub.publish("jobs.run", ByteBuffer.allocate(4).putInt(i).array());
        }
        pub.flush(WAIT);
        await().atMost(WAIT).until(() -> seen.size() == messages);
        for (Connection w : workers) {
            w.flush(WAIT);
        }
        assertThat(deliveries.get()).as("exactly once across the group's members on two brokers").isEqualTo(messages);
    }

    @Test
    void aMillionMessagesAcrossBrokersArriveCompleteAndInOrder() throws Exception {
        PacedReader reader = new PacedReader(nodes.get(0).address(), "bulk.t", -1, 0);
        try {
            Connection pub = client(nodes.get(1), "bulk-pub");
            awaitRoute(pub, "bulk.t", () -> reader.messages() > 0);
            long before = reader.messages();
            int messages = 1_000_000;
            for (long i = 0; i < messages; i++) {
                pub.publish("bulk.t", PacedReader.payload(i, 16));
            }
            pub.flush(WAIT);
            try {
                await().atMost(Duration.ofSeconds(120)).until(() -> reader.lastSequence() == messages - 1);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("received " + (reader.messages() - before) + " of " + messages + "; node 2 "
                        + nodes.get(1).stats() + "; node 1 " + nodes.get(0).stats() + "; errors " + reader.errors()
                        + "; closed " + reader.closedByBroker(), e);
            }
            // Probes (without sequence numbers) may still land after the count began: at most a few extra.
            assertThat(reader.messages() - before).isBetween((long) messages, messages + 5L);
            assertThat(reader.outOfOrder()).as("each numbered message follows the one before").isZero();
            assertThat(nodes.get(1).stats().get("route-drops")).isEqualTo("0");
        } finally {
            reader.close();
        }
    }

    /**
     * A subscriber that stops reading on the broker a route leads to holds that route back only as it would hold a
     * local publisher: for a pause, then its own slow-consumer policy cuts it. The subscriber beside it and one to
     * another topic forwarded on the same route get every message, in order; nothing is dropped on the route; the
     * publisher on the other broker, which waits for a route as long as it takes, is not cut.
     */
    @Test
    void aStalledSubscriberIsCutWhileTheOthersOnItsBrokerGetEverythingForwardedThere() throws Exception {
        BrokerProcess node1 = nodes.get(0);
        PacedReader stalled = new PacedReader(node1.address(), "stall.route", 0, 4096);
        PacedReader beside = new PacedReader(node1.address(), "stall.route", -1, 0);
        PacedReader other = new PacedReader(node1.address(), "stall.other", -1, 0);
        try {
            Connection pub = client(nodes.get(1), "stall-pub");
            awaitRoute(pub, "stall.route", () -> beside.messages() > 0);
            awaitRoute(pub, "stall.other", () -> other.messages() > 0);
            long drops = Long.parseLong(nodes.get(1).stats().get("route-drops"));
            String slowOn1 = node1.resources().get("slow-consumers");
            String slowOn2 = nodes.get(1).resources().get("slow-consumers");
            long besideBefore = beside.messages();
            long otherBefore = other.messages();
            int messages = 20_000;   // 4 KiB each: 80 MB, past the stalled one's 32 MiB limit
            // At 16 MB/s, which the readers keep up with on a loaded machine too: one that cannot is rightly cut by
            // max-pacing, and this test is about the stalled one.
            CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
                try {
                    long start = System.nanoTime();
                    for (int i = 0; i < messages; i++) {
                        pub.publish("stall.route", PacedReader.payload(i, 4096));
                        if (i % 10 == 0) {
                            pub.publish("stall.other", PacedReader.payload(i / 10, 64));
                        }
                        if (i % 100 == 99) {
                            long ahead = start + (i + 1) * 4096L * 1_000_000_000L / 16_000_000 - System.nanoTime();
                            if (ahead > 0) {
                                TimeUnit.NANOSECONDS.sleep(ahead);
                            }
                        }
                    }
                    pub.flush(WAIT);
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
            await().atMost(WAIT).until(() -> Long.parseLong(node1.resources().get("slow-consumers"))
                    > Long.parseLong(slowOn1));
            // It reads again, before the close timeout ends its link, to see how it ended.
            stalled.readAt(-1);
            assertThat(stalled.awaitEnd(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .as("the stalled subscriber was cut").isTrue();
            assertThat(stalled.errors()).singleElement().satisfies(e ->
                    assertThat(e.code()).isEqualTo(ErrorCode.SLOW_CONSUMER));
            publishing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            try {
                await().atMost(WAIT).until(() -> beside.lastSequence() == messages - 1
                        && other.lastSequence() == messages / 10 - 1);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("beside got " + (beside.messages() - besideBefore) + ", other "
                        + (other.messages() - otherBefore) + "; node 2 " + nodes.get(1).stats() + "; node 1 "
                        + node1.stats() + ", " + node1.resources() + "; beside's errors " + beside.errors()
                        + (beside.closedByBroker() ? " (closed)" : ""), e);
            }
            assertThat(beside.outOfOrder()).isZero();
            assertThat(other.outOfOrder()).isZero();
            assertThat(beside.messages() - besideBefore).isBetween((long) messages, messages + 5L);
            assertThat(Long.parseLong(nodes.get(1).stats().get("route-drops"))).as("dropped on the route")
                    .isEqualTo(drops);
            assertThat(nodes.get(1).resources().get("slow-consumers")).as("cut on node 2 (the publisher)")
                    .isEqualTo(slowOn2);
            assertThat(Long.parseLong(node1.resources().get("slow-consumers"))).as("cut on node 1")
                    .isEqualTo(Long.parseLong(slowOn1) + 1);
            assertThat(node1.stats().get("routed")).isEqualTo("2");
        } finally {
            stalled.close();
            beside.close();
            other.close();
        }
    }

    @Test
    void aThousandLocalSubscribersToOnePatternAreOneEntryForTheOtherBrokersAndOneForwardPerMessage()
            throws Exception {
        String node3 = self(nodes.get(2));
        int before = member(nodes.get(0), node3).get("interest").asInt();
        Connection c = client(nodes.get(2), "thousand");
        AtomicLong received = new AtomicLong();
        for (int i = 0; i < 1000; i++) {
            c.subscribe("thousand.>", m -> received.incrementAndGet());
        }
        c.flush(WAIT);
        await().atMost(WAIT).until(() -> member(nodes.get(0), node3).get("interest").asInt() == before + 1);
        Connection pub = client(nodes.get(0), "thousand-pub");
        awaitRoute(pub, "thousand.probe", () -> received.get() >= 1000);
        pub.flush(WAIT);
        await().atMost(WAIT).until(() -> total("routed-in") == total("routed-out"));
        long in3 = Long.parseLong(nodes.get(2).stats().get("routed-in"));
        long got = received.get();
        pub.publish("thousand.x", new byte[8]);
        await().atMost(WAIT).until(() -> received.get() == got + 1000);
        assertThat(Long.parseLong(nodes.get(2).stats().get("routed-in")) - in3).as("forwarded once").isEqualTo(1);
        c.close();
        await("the client's disconnect takes its interest away").atMost(WAIT)
                .until(() -> member(nodes.get(0), node3).get("interest").asInt() == before);
    }

    @Test
    void aHundredThousandDistinctPatternsPropagateAndLeaveWithTheirClients() throws Exception {
        String node3 = self(nodes.get(2));
        int before = member(nodes.get(0), node3).get("interest").asInt();
        long resyncs = total("interest-resyncs");
        List<Connection> many = new ArrayList<>();
        AtomicLong received = new AtomicLong();
        long start = System.nanoTime();
        for (int c = 0; c < 10; c++) {
            Connection conn = client(nodes.get(2), "patterns-" + c);
            for (int i = 0; i < 10_000; i++) {
                conn.subscribe("wide." + c + "." + i + ".>", m -> received.incrementAndGet());
            }
            many.add(conn);
        }
        for (Connection conn : many) {
            conn.flush(WAIT);
        }
        await().atMost(WAIT).until(() -> member(nodes.get(0), node3).get("interest").asInt() == before + 100_000);
        System.out.printf("100,000 patterns subscribed on node 3 were all known on node 1 %d ms after the first SUB%n",
                (System.nanoTime() - start) / 1_000_000);
        Connection pub = client(nodes.get(0), "wide-pub");
        awaitRoute(pub, "wide.9.9999.x", () -> received.get() > 0);
        for (Connection conn : many) {
            conn.close();
        }
        await().atMost(WAIT).until(() -> member(nodes.get(0), node3).get("interest").asInt() == before);
        // Sent as they came, 100,000 changes overflowed Artery's queue, and each gap found asked for a snapshot of
        // 100,000 more: the window keeps them all in order, with no snapshot asked for.
        assertThat(total("interest-resyncs")).as("interest snapshots asked for after a gap").isEqualTo(resyncs);
    }

    @Test
    void eachBrokerShowsTheMembersTheirStateAndTheirClientsOnItsAdminPort() throws Exception {
        Connection extra = client(nodes.get(1), "counted");
        extra.flush(WAIT);
        Admin.Reply reply = nodes.get(0).admin("/api/cluster");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.contentType()).isEqualTo("application/json");
        JsonNode cluster = reply.json();
        assertThat(cluster.get("members")).hasSize(3);
        assertThat(cluster.get("leader").asText()).startsWith("pekko://courier@127.0.0.1:");
        List<String> clientAddresses = new ArrayList<>();
        for (JsonNode m : cluster.get("members")) {
            assertThat(m.get("status").asText()).isEqualTo("up");
            assertThat(m.get("reachable").asBoolean()).isTrue();
            assertThat(m.get("routed").asBoolean()).isTrue();
            clientAddresses.add(m.get("clientAddress").asText());
        }
        assertThat(clientAddresses).containsExactlyInAnyOrderElementsOf(nodes.stream()
                .map(n -> "127.0.0.1:" + n.address().getPort()).toList());
        // Client counts travel with the keepalives: what node 1 says of node 2 becomes what node 2 says of itself.
        String node2 = self(nodes.get(1));
        await().atMost(WAIT).until(() -> member(nodes.get(0), node2).get("clients").asLong()
                == nodes.get(1).admin("/api/server").json().get("clients").asLong());
        assertThat(nodes.get(1).admin("/readyz").status()).isEqualTo(200);
    }

    static String self(BrokerProcess node) throws Exception {
        return node.admin("/api/cluster").json().get("self").asText();
    }

    /** What {@code viewer}'s admin port says of the member {@code node}. */
    static JsonNode member(BrokerProcess viewer, String node) throws Exception {
        for (JsonNode m : viewer.admin("/api/cluster").json().get("members")) {
            if (m.get("node").asText().equals(node)) {
                return m;
            }
        }
        throw new AssertionError(node + " is not a member in " + viewer.admin("/api/cluster").body());
    }

    private static long total(String counter) throws Exception {
        long sum = 0;
        for (BrokerProcess n : nodes) {
            sum += Long.parseLong(n.stats().get(counter));
        }
        return sum;
    }

    @Test
    void aLinksSystemEventsReachSubscribersOnOtherBrokersOnceAndMetricsCountTheMembers() throws Exception {
        Connection watcher = client(nodes.get(0), "watcher");
        List<String> connects = new CopyOnWriteArrayList<>();
        watcher.subscribe("$SYS.connect", m -> connects.add(m.payloadAsString()));
        watcher.flush(WAIT);
        // Until the watcher's interest has reached node 2: connect probes there until one is announced here.
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            client(nodes.get(1), "probe").close();
            return connects.stream().anyMatch(c -> c.contains("\"probe\""));
        });
        client(nodes.get(1), "visitor");
        client(nodes.get(1), "marker");
        // Events from one broker arrive in order: once the marker's is here, a duplicate of the visitor's would be.
        await().atMost(WAIT).until(() -> connects.stream().anyMatch(c -> c.contains("\"marker\"")));
        assertThat(connects.stream().filter(c -> c.contains("\"visitor\""))).hasSize(1);
        String metrics = nodes.get(0).admin("/metrics").body();
        assertThat(ObservabilityTest.sample(metrics, "courier_cluster_members{status=\"up\"}")).isEqualTo(3);
        assertThat(ObservabilityTest.sample(metrics, "courier_cluster_unreachable_members")).isZero();
        assertThat(ObservabilityTest.sample(metrics, "courier_cluster_forwards_in_total")).isPositive();
    }

    static final class Cluster3 {
        static List<BrokerProcess> start() throws Exception {
            // A twelfth of Artery's usual outbound queue: interest sent without flow control overflows it (and
            // asks for snapshots after the gaps) on any machine, not just on a slow one.
            String smallQueue = "pekko.remote.artery.advanced.outbound-message-queue-size = 256\n";
            return startOnFreePorts(3, 3, (i, ports) -> node(ports[i], seeds(ports)) + smallQueue).nodes();
        }

        /** The first two of {@code ports} as the seed nodes. */
        static String seeds(int[] ports) {
            return "[\"127.0.0.1:" + ports[0] + "\", \"127.0.0.1:" + ports[1] + "\"]";
        }

        /** Brokers started on ports picked for them, and those ports. */
        record Started(int[] ports, List<BrokerProcess> nodes) { }

        /**
         * Picks {@code portCount} free ports and starts {@code nodes} brokers, node {@code i} with
         * {@code config.apply(i, ports)}, until all are Up. A picked port is free only when picked: when another
         * process took it as an ephemeral port before its broker bound it, every node is stopped and the cluster
         * starts again on new ports (at most three tries).
         */
        static Started startOnFreePorts(int portCount, int nodes, BiFunction<Integer, int[], String> config)
                throws Exception {
            for (int attempt = 1; ; attempt++) {
                int[] ports = freePorts(portCount);
                List<BrokerProcess> started = new ArrayList<>();
                try {
                    for (int i = 0; i < nodes; i++) {
                        started.add(BrokerProcess.start(config.apply(i, ports), "-Xmx256m"));
                    }
                    awaitAllUp(started);
                    return new Started(ports, started);
                } catch (Exception | Error e) {
                    for (BrokerProcess n : started) {
                        n.close();
                    }
                    if (attempt == 3 || !portTaken(e)) {
                        throw e;
                    }
                }
            }
        }

        private static boolean portTaken(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (String.valueOf(t.getMessage()).contains("Address already in use")) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Until every node sees every node as an Up member: the split brain resolver counts only Up members, so a
         * partition made while one node still sees another Joining can leave that node alone in its minority.
         */
        static void awaitAllUp(List<BrokerProcess> nodes) {
            await().atMost(WAIT).until(() -> {
                for (BrokerProcess n : nodes) {
                    JsonNode members = n.admin("/api/cluster").json().get("members");
                    if (members.size() != nodes.size()) {
                        return false;
                    }
                    for (JsonNode m : members) {
                        if (!m.get("status").asText().equals("up")) {
                            return false;
                        }
                    }
                }
                return true;
            });
        }

        static String node(int clusterPort, String seeds) {
            return """
                    courier.cluster {
                      enabled = true
                      port = %d
                      route-port = 0
                      seeds = %s
                      split-brain-resolver.stable-after = 3s
                      # Several JVMs share two cores here: tolerate a stall of a few seconds before calling a node
                      # unreachable.
                      acceptable-heartbeat-pause = 10s
                    }
                    courier.admin { enabled = true, port = 0 }
                    pekko.remote.artery.advanced.test-mode = on
                    """.formatted(clusterPort, seeds);
        }

        static int[] freePorts(int n) throws IOException {
            int[] ports = new int[n];
            List<ServerSocket> held = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    ServerSocket s = new ServerSocket(0);
                    held.add(s);
                    ports[i] = s.getLocalPort();
                }
            } finally {
                for (ServerSocket s : held) {
                    s.close();
                }
            }
            return ports;
        }
    }
}
