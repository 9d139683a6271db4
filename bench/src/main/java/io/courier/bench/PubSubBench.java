package io.courier.bench;

import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.Options;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Throughput: P publishers send N messages in total to one topic as fast as they can; S subscribers each receive
 * all of them. The clock runs from the first publish until the last subscriber has everything (or the deadline).
 * Each payload carries its send time, so the run also yields an end-to-end latency distribution (under full load,
 * so it is queueing time, not idle latency).
 */
public final class PubSubBench {

    /** What to run. */
    public record Settings(List<String> servers, long messages, int size, int publishers, int subscribers,
                           Duration timeout) {
        public Settings {
            if (messages < 1 || size < 0 || publishers < 1 || subscribers < 0) {
                throw new IllegalArgumentException("messages and publishers must be >= 1, size and subscribers >= 0");
            }
        }
    }

    /** What was measured. */
    public record Result(Settings settings, long published, long delivered, long expected, double seconds,
                         double publishSeconds, Histogram latency) {

        public double deliveredPerSecond() {
            return delivered / seconds;
        }

        public double publishedPerSecond() {
            return published / publishSeconds;
        }

        public double deliveredMegabytesPerSecond() {
            return delivered * (double) settings.size() / seconds / 1_000_000.0;
        }

        public long lost() {
            return expected - delivered;
        }
    }

    private PubSubBench() {
    }

    public static Result run(Settings settings) throws IOException, InterruptedException, TimeoutException {
        String topic = "bench.pubsub." + Long.toHexString(System.nanoTime());
        long perPublisher = settings.messages() / settings.publishers();
        long total = perPublisher * settings.publishers();
        long expected = total * settings.subscribers();
        int size = Math.max(settings.size(), 8);
        List<Connection> connections = new ArrayList<>();
        AtomicLong delivered = new AtomicLong();
        CountDownLatch allReceived = new CountDownLatch(settings.subscribers());
        Recorder recorder = new Recorder(3);
        try {
            for (int i = 0; i < settings.subscribers(); i++) {
                Connection c = connect(settings, "bench-sub-" + i);
                connections.add(c);
                AtomicLong mine = new AtomicLong();
                c.subscribe(topic, message -> {
                    long sentAt = ByteBuffer.wrap(message.payload()).getLong(0);
                    recorder.recordValue(Math.max(0, System.nanoTime() - sentAt) / 1000);
                    delivered.incrementAndGet();
                    if (mine.incrementAndGet() == total) {
                        allReceived.countDown();
                    }
                });
                c.flush(Duration.ofSeconds(10));
            }
            List<Connection> publishers = new ArrayList<>();
            for (int i = 0; i < settings.publishers(); i++) {
                Connection c = connect(settings, "bench-pub-" + i);
                connections.add(c);
                publishers.add(c);
            }
            AtomicLong published = new AtomicLong();
            CountDownLatch publishersDone = new CountDownLatch(publishers.size());
            long start = System.nanoTime();
            AtomicLong publishEnd = new AtomicLong();
            for (Connection p : publishers) {
                Thread t = new Thread(() -> {
                    try {
                        for (long n = 0; n < perPublisher; n++) {
                            byte[] payload = new byte[size];
                            ByteBuffer.wrap(payload).putLong(0, System.nanoTime());
                            p.publish(topic, payload);
                            published.incrementAndGet();
                        }
                        p.flush(Duration.ofMinutes(5));
                    } catch (Exception e) {
                        System.err.println("publisher failed: " + e);
                    } finally {
                        publishEnd.accumulateAndGet(System.nanoTime(), Math::max);
                        publishersDone.countDown();
                    }
                }, "bench-publisher");
                t.setDaemon(true);
                t.start();
            }
            long deadline = start + settings.timeout().toNanos();
            publishersDone.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            allReceived.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            long end = settings.subscribers() == 0 ? publishEnd.get() : System.nanoTime();
            double seconds = (end - start) / 1e9;
            double publishSeconds = (Math.max(publishEnd.get(), start + 1) - start) / 1e9;
            return new Result(settings, published.get(), delivered.get(), expected, seconds, publishSeconds,
                    recorder.getIntervalHistogram());
        } finally {
            for (Connection c : connections) {
                c.close();
            }
        }
    }

    static Connection connect(Settings settings, String name) throws IOException, InterruptedException {
        return Courier.connect(Options.builder().servers(settings.servers()).name(name)
                .subscriptionPendingLimit(1 << 20).build());
    }
}
