package io.courier.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Throughput: P publishers send N messages in total to one topic as fast as they can; S subscribers each receive
 * all of them. The clock runs from the first publish to the last delivery. A system that loses messages is waited
 * for until nothing has arrived for {@code quiet}, and the loss is reported. Each payload carries its send time, so
 * the run also yields an end-to-end latency distribution (under full load, so it is queueing time, not idle latency).
 */
public final class PubSubBench {

    /** What to run. */
    public record Settings(long messages, int size, int publishers, int subscribers, Duration timeout, Duration quiet) {
        public Settings {
            if (messages < 1 || size < 0 || publishers < 1 || subscribers < 0) {
                throw new IllegalArgumentException("messages and publishers must be >= 1, size and subscribers >= 0");
            }
        }

        public Settings(long messages, int size, int publishers, int subscribers, Duration timeout) {
            this(messages, size, publishers, subscribers, timeout, Duration.ofSeconds(3));
        }
    }

    /** What was measured. */
    public record Result(String system, Settings settings, long published, long delivered, long expected,
                         double seconds, double publishSeconds, Histogram latency) {

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

    public static Result run(Driver driver, Settings settings) throws Exception {
        String topic = driver.topic("bench.pubsub." + Long.toHexString(System.nanoTime()));
        long perPublisher = settings.messages() / settings.publishers();
        long total = perPublisher * settings.publishers();
        long expected = total * settings.subscribers();
        int size = Math.max(settings.size(), 8);
        List<Driver.Link> links = new ArrayList<>();
        AtomicLong delivered = new AtomicLong();
        AtomicLong lastDelivery = new AtomicLong();
        CountDownLatch allReceived = new CountDownLatch(settings.subscribers());
        Recorder recorder = new Recorder(3);
        try {
            for (int i = 0; i < settings.subscribers(); i++) {
                Driver.Link link = driver.connect("bench-sub-" + i);
                links.add(link);
                long[] mine = new long[1];
                link.subscribe(topic, payload -> {
                    long now = System.nanoTime();
                    recorder.recordValue(Math.max(0, now - ByteBuffer.wrap(payload).getLong(0)) / 1000);
                    delivered.incrementAndGet();
                    lastDelivery.lazySet(now);
                    if (++mine[0] == total) {
                        allReceived.countDown();
                    }
                });
            }
            List<Driver.Link> publishers = new ArrayList<>();
            for (int i = 0; i < settings.publishers(); i++) {
                Driver.Link link = driver.connect("bench-pub-" + i);
                links.add(link);
                publishers.add(link);
            }
            AtomicLong published = new AtomicLong();
            CountDownLatch publishersDone = new CountDownLatch(publishers.size());
            AtomicLong publishEnd = new AtomicLong();
            long start = System.nanoTime();
            for (Driver.Link p : publishers) {
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
            awaitDeliveries(allReceived, delivered, deadline, settings.quiet());
            // Publishers still blocked at the deadline (a broker that stopped reading) are counted up to now.
            long publishedUntil = publishersDone.getCount() == 0 ? publishEnd.get() : System.nanoTime();
            long end = settings.subscribers() == 0 || delivered.get() == 0 ? publishedUntil : lastDelivery.get();
            double seconds = Math.max(1, end - start) / 1e9;
            double publishSeconds = Math.max(1, publishedUntil - start) / 1e9;
            return new Result(driver.system(), settings, published.get(), delivered.get(), expected, seconds,
                    publishSeconds, recorder.getIntervalHistogram());
        } finally {
            for (Driver.Link link : links) {
                try {
                    link.close();
                } catch (Exception e) {
                    System.err.println("close failed: " + e);
                }
            }
        }
    }

    /** Until everything arrived, the deadline passed, or nothing arrived for {@code quiet} (messages were lost). */
    private static void awaitDeliveries(CountDownLatch allReceived, AtomicLong delivered, long deadline,
                                        Duration quiet) throws InterruptedException {
        long seen = -1;
        long lastProgress = System.nanoTime();
        while (!allReceived.await(100, TimeUnit.MILLISECONDS)) {
            long now = System.nanoTime();
            long d = delivered.get();
            if (d != seen) {
                seen = d;
                lastProgress = now;
            }
            if (now > deadline || now - lastProgress > quiet.toNanos()) {
                return;
            }
        }
    }
}
