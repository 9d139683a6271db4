package io.courier.broker.routing;

import io.courier.protocol.Topic;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class SubscriptionIndexTest {

    private static final String[] WORDS = {"a", "b", "c", "orders", "eu", "us", "created", "x1"};

    /** A subscriber that only counts what it is offered. */
    private static final class Counting implements Subscriber {
        final long id;
        int received;

        Counting(long id) {
            this.id = id;
        }

        @Override
        public long id() {
            return id;
        }

        @Override
        public boolean offer(int sid, ByteString body, PublisherFlow flow) {
            received++;
            return true;
        }

        @Override
        public void expired(Subscription subscription) {
        }

        @Override
        public void failed(Throwable cause) {
        }
    }

    @Test
    void agreesWithReferenceMatcherOnRandomPatternsAndTopics() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int round = 0; round < 20; round++) {
            SubscriptionIndex index = new SubscriptionIndex(round % 2 == 0 ? 0 : 64);
            List<Subscription> all = new ArrayList<>();
            Counting owner = new Counting(1);
            for (int i = 0; i < 300; i++) {
                Subscription s = new Subscription(owner, i, randomPattern(random), "");
                index.add(s);
                all.add(s);
            }
            // Remove a random third so pruning is exercised too.
            for (int i = 0; i < 100; i++) {
                Subscription s = all.remove(random.nextInt(all.size()));
                assertThat(index.remove(s)).isTrue();
            }
            for (int t = 0; t < 500; t++) {
                String topic = randomTopic(random);
                Set<Subscription> expected = new HashSet<>();
                for (Subscription s : all) {
                    if (Topic.matches(s.pattern(), topic)) {
                        expected.add(s);
                    }
                }
                Match match = index.match(topic);
                assertThat(new HashSet<>(match.plain()))
                        .as("seed %d topic %s", seed, topic).isEqualTo(expected);
                assertThat(match.plain()).as("no duplicates, seed %d", seed).hasSize(expected.size());
                // A second lookup (possibly cached) gives the same answer.
                assertThat(new HashSet<>(index.match(topic).plain())).isEqualTo(expected);
            }
            assertThat(index.size()).isEqualTo(all.size());
        }
    }

    @Test
    void agreesWithReferenceMatcherWhileSubscriptionsComeAndGoBetweenCachedLookups() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        String[] groups = {"", "", "", "g1", "g2"};
        for (int round = 0; round < 30; round++) {
            // A tiny cache evicts constantly; a larger one keeps stale entries around if invalidation misses any.
            SubscriptionIndex index = new SubscriptionIndex(round % 3 == 0 ? 0 : round % 3 == 1 ? 8 : 256);
            List<Subscription> all = new ArrayList<>();
            Counting owner = new Counting(1);
            for (int op = 0; op < 3000; op++) {
                int kind = random.nextInt(10);
                if (kind < 3) {
                    Subscription s = new Subscription(owner, op, randomPattern(random),
                            groups[random.nextInt(groups.length)]);
                    index.add(s);
                    all.add(s);
                } else if (kind < 5 && !all.isEmpty()) {
                    Subscription s = all.remove(random.nextInt(all.size()));
                    assertThat(index.remove(s)).as("seed %d", seed).isTrue();
                } else if (kind == 5 && !all.isEmpty()) {
                    // A closing connection's subscriptions, leaving together.
                    List<Subscription> leaving = new ArrayList<>();
                    for (int k = random.nextInt(20); k >= 0 && !all.isEmpty(); k--) {
                        leaving.add(all.remove(random.nextInt(all.size())));
                    }
                    assertThat(index.removeAll(leaving)).as("seed %d", seed).isEqualTo(leaving.size());
                } else {
                    String topic = randomTopic(random);
                    Set<Subscription> plain = new HashSet<>();
                    Map<String, Set<Subscription>> grouped = new HashMap<>();
                    for (Subscription s : all) {
                        if (Topic.matches(s.pattern(), topic)) {
                            if (s.inQueueGroup()) {
                                grouped.computeIfAbsent(s.queueGroup(), g -> new HashSet<>()).add(s);
                            } else {
                                plain.add(s);
                            }
                        }
                    }
                    Match match = index.match(topic);
                    assertThat(match.plain()).as("seed %d op %d topic %s", seed, op, topic)
                            .hasSize(plain.size()).containsExactlyInAnyOrderElementsOf(plain);
                    Set<Set<Subscription>> groupsFound = new HashSet<>();
                    for (List<Subscription> members : match.queueGroups()) {
                        groupsFound.add(new HashSet<>(members));
                    }
                    assertThat(groupsFound).as("groups, seed %d op %d topic %s", seed, op, topic)
                            .isEqualTo(new HashSet<>(grouped.values()));
                    assertThat(match.isEmpty()).isEqualTo(plain.isEmpty() && grouped.isEmpty());
                }
            }
            assertThat(index.size()).isEqualTo(all.size());
        }
    }

    @Test
    void aNodeCreatedOnTheWayToADeeperPatternIsSeenOnceSubscribedTo() {
        SubscriptionIndex index = new SubscriptionIndex(64);
        Counting owner = new Counting(1);
        index.add(new Subscription(owner, 1, "x.y", ""));
        for (int i = 0; i < 3; i++) {
            assertThat(index.match("a").isEmpty()).isTrue();   // cached (admitted on the second lookup)
        }
        index.add(new Subscription(owner, 2, "a.b.c", ""));       // creates the node of "a" on the way
        Subscription a = new Subscription(owner, 3, "a", "");
        index.add(a);                                              // lands in that existing node
        assertThat(index.match("a").plain()).containsExactly(a);
    }

    @Test
    void manySubscriptionsToOnePatternComeAndGoInAnyOrder() {
        SubscriptionIndex index = new SubscriptionIndex(64);
        Counting owner = new Counting(1);
        List<Subscription> live = new ArrayList<>();
        Random random = new Random(7);
        for (int i = 0; i < 5000; i++) {
            Subscription s = new Subscription(owner, i, "hot.>", "");
            index.add(s);
            live.add(s);
            if (random.nextInt(3) == 0) {
                assertThat(index.remove(live.remove(random.nextInt(live.size())))).isTrue();
            }
        }
        assertThat(index.match("hot.topic").plain()).containsExactlyInAnyOrderElementsOf(live);
        for (Subscription s : new ArrayList<>(live)) {
            assertThat(index.remove(s)).isTrue();
            assertThat(index.remove(s)).isFalse();
        }
        assertThat(index.match("hot.topic").isEmpty()).isTrue();
        assertThat(index.size()).isZero();
    }

    @Test
    void aSubscriptionChangesOnlyTheCachedMatchesOfTopicsItCanMatch() {
        // Before, every subscribe and unsubscribe cleared the whole cache.
        SubscriptionIndex index = new SubscriptionIndex(64);
        Counting owner = new Counting(1);
        index.add(new Subscription(owner, 1, "orders.eu", ""));
        index.match("orders.eu");
        Match hot = index.match("orders.eu");   // admitted to the cache on its second lookup
        index.add(new Subscription(owner, 2, "payments.>", ""));
        index.add(new Subscription(owner, 3, "orders.us.*", ""));
        Subscription inbox = new Subscription(owner, 4, "_INBOX.abc", "");
        index.add(inbox);
        index.remove(inbox);
        assertThat(index.match("orders.eu")).as("still the cached match").isSameAs(hot);
        index.add(new Subscription(owner, 5, "*.eu", ""));
        assertThat(index.match("orders.eu")).as("a pattern that can match it makes it stale").isNotSameAs(hot);
    }

    @Test
    void subscribingToAnExistingPatternReachesEvenAMatchTakenBefore() {
        // A match refers to the node's subscriber set rather than a copy of it, so joining a crowded pattern copies
        // nothing of the crowd and invalidates nothing.
        SubscriptionIndex index = new SubscriptionIndex(64);
        Counting owner = new Counting(1);
        index.add(new Subscription(owner, 1, "crowd.>", ""));
        Match before = index.match("crowd.x");
        Subscription late = new Subscription(owner, 2, "crowd.>", "");
        index.add(late);
        assertThat(before.plain()).hasSize(2).contains(late);
    }

    @Test
    void cachedMatchIsInvalidatedBySubscribeAndUnsubscribe() {
        SubscriptionIndex index = new SubscriptionIndex(16);
        Counting owner = new Counting(1);
        assertThat(index.match("orders.eu").isEmpty()).isTrue();
        Subscription s = new Subscription(owner, 1, "orders.*", "");
        index.add(s);
        assertThat(index.match("orders.eu").plain()).containsExactly(s);
        index.remove(s);
        assertThat(index.match("orders.eu").isEmpty()).isTrue();
    }

    @Test
    void removingTheLastSubscriptionPrunesTheTrie() {
        SubscriptionIndex index = new SubscriptionIndex(0);
        Counting owner = new Counting(1);
        Subscription deep = new Subscription(owner, 1, "a.b.c.d", "");
        Subscription shallow = new Subscription(owner, 2, "a.b", "");
        index.add(deep);
        index.add(shallow);
        assertThat(index.remove(deep)).isTrue();
        assertThat(index.remove(deep)).isFalse();
        assertThat(index.match("a.b").plain()).containsExactly(shallow);
        assertThat(index.match("a.b.c.d").isEmpty()).isTrue();
    }

    @Test
    void spreadsQueueGroupMessagesAcrossMembersExactlyOnceEach() {
        Router router = new Router(64);
        List<Counting> members = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Counting c = new Counting(i + 10);
            members.add(c);
            router.subscribe(new Subscription(c, 1, "jobs.>", "workers"));
        }
        Counting plain = new Counting(99);
        router.subscribe(new Subscription(plain, 1, "jobs.*", ""));
        int messages = 4000;
        ByteString body = ByteString.fromString("x");
        for (int i = 0; i < messages; i++) {
            router.publish(0, false, "jobs.run", body, PublisherFlow.NONE);
        }
        int total = 0;
        for (Counting c : members) {
            total += c.received;
            assertThat(c.received).as("every member gets a share").isBetween(messages / 8, messages / 2);
        }
        assertThat(total).isEqualTo(messages);
        assertThat(plain.received).isEqualTo(messages);
    }

    @Test
    void limitedSubscriptionStopsAfterItsLastMessage() {
        Router router = new Router(64);
        List<Subscription> expired = new ArrayList<>();
        Map<String, Integer> got = new HashMap<>();
        Subscriber owner = new Subscriber() {
            @Override
            public long id() {
                return 1;
            }

            @Override
            public boolean offer(int sid, ByteString body, PublisherFlow flow) {
                got.merge("n", 1, Integer::sum);
                return true;
            }

            @Override
            public void expired(Subscription subscription) {
                expired.add(subscription);
            }

            @Override
            public void failed(Throwable cause) {
            }
        };
        Subscription s = new Subscription(owner, 7, "t", "");
        router.subscribe(s);
        s.limitTo(3);
        for (int i = 0; i < 10; i++) {
            router.publish(2, false, "t", ByteString.fromString("m"), PublisherFlow.NONE);
        }
        assertThat(got.get("n")).isEqualTo(3);
        assertThat(expired).containsExactly(s);
    }

    private static String randomPattern(Random r) {
        int n = 1 + r.nextInt(4);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append('.');
            }
            int k = r.nextInt(10);
            if (k == 0 && i == n - 1) {
                sb.append('>');
            } else if (k <= 2) {
                sb.append('*');
            } else {
                sb.append(WORDS[r.nextInt(WORDS.length)]);
            }
        }
        return sb.toString();
    }

    private static String randomTopic(Random r) {
        int n = 1 + r.nextInt(5);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append('.');
            }
            sb.append(WORDS[r.nextInt(WORDS.length)]);
        }
        return sb.toString();
    }
}
