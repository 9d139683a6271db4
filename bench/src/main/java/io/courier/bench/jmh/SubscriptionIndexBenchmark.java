package io.courier.bench.jmh;

import io.courier.broker.routing.Match;
import io.courier.broker.routing.PublisherFlow;
import io.courier.broker.routing.Router;
import io.courier.broker.routing.Subscriber;
import io.courier.broker.routing.Subscription;
import io.courier.broker.routing.SubscriptionIndex;
import org.apache.pekko.util.ByteString;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * {@link SubscriptionIndex#match} with 10, 10,000 and 1,000,000 subscriptions, from its match cache (one topic over
 * and over) and past it (a rotation of {@value Population#ROTATION} distinct topics, four times the default cache of
 * {@value Population#CACHE_SIZE}, so every lookup walks the trie).
 *
 * <p>Topics look like {@code orders7.eu12.created34}: address {@code i} has tokens {@code i / 10000},
 * {@code i / 100 % 100} and {@code i % 100}, so a million subscriptions fill a 100 x 100 x 100 trie.
 * <ul>
 *   <li>{@code literal}: one subscription per address, its topic; a populated topic matches exactly one.</li>
 *   <li>{@code wildcard}: each address's literal subscription, plus {@code *.eu{b}.created{c}} for addresses with
 *       {@code a == 0}, {@code orders{a}.*.created{c}} for {@code b == 0} and {@code orders{a}.eu{b}.>} for
 *       {@code c == 0}, until there are as many subscriptions as asked. A populated topic matches its literal and
 *       three wildcard subscriptions, reached through the {@code *} and {@code >} branches of the trie.</li>
 * </ul>
 * With fewer populated topics than the rotation needs, the rest are the next addresses, which nobody subscribed to
 * (a publish without subscribers); setup prints the mean matches per rotated topic.
 *
 * <p>{@code SubscriptionIndex.add} is package-private: the index is filled through {@link Router}, its only writer,
 * whose {@code match} is the index's. Topic strings are reused, so their hash codes are cached, as they are not for a
 * topic freshly decoded from a PUB.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SubscriptionIndexBenchmark {

    /** The subscriptions and topics, built once per trial and shared by all benchmark threads. */
    @State(Scope.Benchmark)
    public static class Population {

        static final int CACHE_SIZE = 4096;
        static final int ROTATION = 16384;

        @Param({"10", "10000", "1000000"})
        public int subscriptions;

        @Param({"literal", "wildcard"})
        public String patterns;

        Router router;
        String hitTopic;
        String[] rotation;

        @Setup
        public void build() {
            router = new Router(CACHE_SIZE);
            Subscriber subscriber = new NoOpSubscriber();
            boolean wildcards = switch (patterns) {
                case "literal" -> false;
                case "wildcard" -> true;
                default -> throw new IllegalArgumentException("patterns must be literal or wildcard: " + patterns);
            };
            int added = 0;
            int populated = 0;
            while (added < subscriptions) {
                int a = populated / 10_000;
                int b = populated / 100 % 100;
                int c = populated % 100;
                List<String> forAddress = new ArrayList<>(4);
                forAddress.add(topic(a, b, c));
                if (wildcards && a == 0) {
                    forAddress.add("*.eu" + b + ".created" + c);
                }
                if (wildcards && b == 0) {
                    forAddress.add("orders" + a + ".*.created" + c);
                }
                if (wildcards && c == 0) {
                    forAddress.add("orders" + a + ".eu" + b + ".>");
                }
                for (int k = 0; k < forAddress.size() && added < subscriptions; k++) {
                    router.subscribe(new Subscription(subscriber, added, forAddress.get(k), ""));
                    added++;
                }
                populated++;
            }
            if (router.subscriptionCount() != subscriptions) {
                throw new IllegalStateException("indexed " + router.subscriptionCount() + " of " + subscriptions);
            }

            hitTopic = topicAt(populated / 2);
            if (router.match(hitTopic).isEmpty()) {
                throw new IllegalStateException("the cache-hit topic " + hitTopic + " matches nothing");
            }
            List<Integer> addresses = new ArrayList<>(Math.max(populated, ROTATION));
            for (int i = 0; i < Math.max(populated, ROTATION); i++) {
                addresses.add(i);
            }
            Random random = new Random(42);
            if (populated > ROTATION) {
                Collections.shuffle(addresses, random);   // a sample spread over the whole trie
            }
            List<Integer> chosen = new ArrayList<>(addresses.subList(0, ROTATION));
            Collections.shuffle(chosen, random);          // no walking the trie in address order
            rotation = new String[ROTATION];
            long matches = 0;
            for (int i = 0; i < ROTATION; i++) {
                rotation[i] = topicAt(chosen.get(i));
                Match m = router.match(rotation[i]);
                matches += m.plain().size();
            }
            System.out.printf("population: %,d %s subscriptions, %,d populated topics; rotated topics match %.2f"
                    + " subscriptions on average, the cache-hit topic %s matches %d%n", subscriptions, patterns,
                    populated, (double) matches / ROTATION, hitTopic, router.match(hitTopic).plain().size());
            // Settle the freshly built population into the old generation now, not during the first iterations.
            System.gc();
        }

        private static String topicAt(int address) {
            return topic(address / 10_000, address / 100 % 100, address % 100);
        }

        private static String topic(int a, int b, int c) {
            return "orders" + a + ".eu" + b + ".created" + c;
        }
    }

    /** Takes every message and does nothing with it. */
    static final class NoOpSubscriber implements Subscriber {
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
    }

    private int next;

    /** The same topic every time: after the first call, a lookup in the match cache. */
    @Benchmark
    public Match matchCacheHit(Population population) {
        return population.router.match(population.hitTopic);
    }

    /** A topic not seen for {@value Population#ROTATION} lookups: never in the cache, so the trie is walked. */
    @Benchmark
    public Match matchCacheMiss(Population population) {
        String[] rotation = population.rotation;
        return population.router.match(rotation[next++ & (rotation.length - 1)]);
    }
}
