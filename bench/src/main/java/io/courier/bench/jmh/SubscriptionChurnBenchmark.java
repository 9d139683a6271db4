package io.courier.bench.jmh;

import io.courier.broker.routing.Match;
import io.courier.broker.routing.PublisherFlow;
import io.courier.broker.routing.Router;
import io.courier.broker.routing.Subscriber;
import io.courier.broker.routing.Subscription;
import org.apache.pekko.util.ByteString;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What subscribing and unsubscribing cost while the index is in use, and what they cost the publishers.
 * <ul>
 *   <li>{@link #subscribeAndUnsubscribeAUniquePattern}: one SUB and one UNSUB of a pattern nobody else holds (a
 *       request inbox, say) while the match cache is full of {@code cacheSize} hot topics.</li>
 *   <li>{@link #subscribeAndUnsubscribeOnACrowdedPattern}: one SUB and one UNSUB on a pattern that already holds
 *       {@code crowd} subscriptions (10 connections subscribing 10,000 times each to one pattern).</li>
 *   <li>{@code churn} group: one thread matching and delivering to a hot topic while another subscribes and
 *       unsubscribes unique patterns as fast as it can; compare its {@code publish} row with
 *       {@link #publishWithoutChurn}.</li>
 * </ul>
 * <pre>java -jar bench/target/courier-bench.jar jmh SubscriptionChurnBenchmark -f 1 -wi 3 -i 5</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SubscriptionChurnBenchmark {

    private static final Subscriber NOBODY = new SubscriptionIndexBenchmark.NoOpSubscriber();

    private static final ByteString BODY = ByteString.fromArrayUnsafe(new byte[128]);

    /** A router whose cache holds {@code cacheSize} hot topics, each with a subscriber. */
    @State(Scope.Benchmark)
    public static class Index {
        @Param({"4096", "65536"})
        public int cacheSize;

        @Param({"100000"})
        public int crowd;

        Router router;
        String[] hot;
        Subscription[] inbox;

        @Setup
        public void build() {
            router = new Router(cacheSize);
            hot = new String[cacheSize];
            for (int i = 0; i < cacheSize; i++) {
                hot[i] = "hot" + (i % 64) + ".t" + i;
                router.subscribe(new Subscription(NOBODY, i, hot[i], ""));
            }
            for (int round = 0; round < 2; round++) {   // the second lookup admits a topic to the cache
                for (String t : hot) {
                    router.match(t);
                }
            }
            for (int i = 0; i < crowd; i++) {
                router.subscribe(new Subscription(NOBODY, i, "crowd.>", ""));
            }
            inbox = new Subscription[1024];
            for (int i = 0; i < inbox.length; i++) {
                inbox[i] = new Subscription(NOBODY, i, "_INBOX.c" + i + ".*", "");
            }
        }
    }

    /** Per-thread position in the rotations. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
        final Subscription crowded = new Subscription(NOBODY, -1, "crowd.>", "");
    }

    @Benchmark
    public int subscribeAndUnsubscribeAUniquePattern(Index index, Cursor cursor) {
        Subscription s = index.inbox[cursor.next++ & (index.inbox.length - 1)];
        index.router.subscribe(s);
        index.router.unsubscribe(s);
        return index.router.subscriptionCount();
    }

    @Benchmark
    public int subscribeAndUnsubscribeOnACrowdedPattern(Index index, Cursor cursor) {
        index.router.subscribe(cursor.crowded);
        index.router.unsubscribe(cursor.crowded);
        return index.router.subscriptionCount();
    }

    @Benchmark
    public Match publishWithoutChurn(Index index, Cursor cursor) {
        return publish(index, cursor);
    }

    @Benchmark
    @Group("churn")
    @GroupThreads(1)
    public Match publish(Index index, Cursor cursor) {
        return index.router.publish(0, false, index.hot[cursor.next++ & 1023], BODY, PublisherFlow.NONE);
    }

    @Benchmark
    @Group("churn")
    @GroupThreads(1)
    public int churn(Index index, Cursor cursor) {
        return subscribeAndUnsubscribeAUniquePattern(index, cursor);
    }
}
