package io.courier.loadgen;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Throughput: P publishers send N messages in total to one topic as fast as their client takes them; S subscribers
 * each receive all of them. The clock runs from the first publish to the last delivery. A system that does not
 * deliver everything is waited for until nothing has arrived for {@code quiet}; the result then tells apart what was
 * never published and what was published but did not arrive. Each payload carries its send time, so the run also
 * yields an end-to-end latency distribution (under full load, so it is queueing time, not idle latency). The CPU
 * time of this JVM, and of the broker when its pid is given, is read over the same run.
 */
public final class PubSubBench {

    /** Bytes of send time at the start of every payload. */
    public static final int MIN_SIZE = 8;

    /**
     * What to run; {@code brokerPid} (when > 0) is the broker's process, whose CPU time is read on Linux; {@code rate}
     * (when > 0) paces the publishers to that many messages per second in all, else they send as fast as they can.
     */
    public record Settings(long messages, int size, int publishers, int subscribers, Duration timeout, Duration quiet,
                           long brokerPid, long rate) {
        public Settings {
            if (messages < 1 || publishers < 1 || subscribers < 0 || size < MIN_SIZE) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "need messages >= 1, publishers >= 1, "
                        + "subscribers >= 0 and size >= %d (the send time); got %d messages, %d publishers, "
                        + "%d subscribers, size %d", MIN_SIZE, messages, publishers, subscribers, size));
            }
            if (messages < publishers) {
                throw new IllegalArgumentException("need at least one message per publisher; got " + messages
                        + " messages for " + publishers + " publishers");
            }
            if (rate < 0) {
                throw new IllegalArgumentException("need a rate of 0 (unpaced) or more; got " + rate);
            }
        }

        public Settings(long messages, int size, int publishers, int subscribers, Duration timeout, Duration quiet,
                        long brokerPid) {
            this(messages, size, publishers, subscribers, timeout, quiet, brokerPid, 0);
        }

        public Settings(long messages, int size, int publishers, int subscribers, Duration timeout) {
            this(messages, size, publishers, subscribers, timeout, Duration.ofSeconds(3), 0, 0);
        }

        /** Messages that will be offered: {@code messages} rounded down to a multiple of the publishers. */
        public long planned() {
            return messages / publishers * publishers;
        }
    }

    /**
     * What was measured. {@code published} counts messages the client accepted; every subscriber should then
     * receive each of them, so {@link #expected} is {@code published * subscribers} and {@link #missing} what did
     * not arrive (dropped by the broker or a client, or still in flight when the run ended). CPU figures are
     * nanoseconds over the run, -1 when not read.
     */
    public record Result(String system, Settings settings, long published, long delivered, double seconds,
                         double publishSeconds, Histogram latency, long generatorCpuNanos, long brokerCpuNanos) {

        public long planned() {
            return settings.planned();
        }

        /** Offered but never accepted by the publishing client (the run timed out first). */
        public long unpublished() {
            return planned() - published;
        }

        public long expected() {
            return published * settings.subscribers();
        }

        public long missing() {
            return expected() - delivered;
        }

        public double deliveredPerSecond() {
            return delivered / seconds;
        }

        public double publishedPerSecond() {
            return published / publishSeconds;
        }

        public double deliveredMegabytesPerSecond() {
            return delivered * (double) settings.size() / seconds / 1_000_000.0;
        }

        /** This JVM's CPU as a percentage of one core over the measured seconds; -1 when not read. */
        public double generatorCpuPercent() {
            return generatorCpuNanos < 0 ? -1 : generatorCpuNanos / 1e9 / seconds * 100;
        }

        /** The broker's CPU as a percentage of one core over the measured seconds; -1 when not read. */
        public double brokerCpuPercent() {
            return brokerCpuNanos < 0 ? -1 : brokerCpuNanos / 1e9 / seconds * 100;
        }
    }

    private PubSubBench() {
    }

    /**
     * Runs once.
     *
     * @throws IllegalArgumentException when the payload is larger than the broker accepts (before anything is sent)
     * @throws IllegalStateException when a publisher failed, with its reason
     */
    public static Result run(Driver driver, Settings settings) throws Exception {
        String topic = driver.topic("bench.pubsub." + Long.toHexString(System.nanoTime()));
        long perPublisher = settings.messages() / settings.publishers();
        long total = perPublisher * settings.publishers();
        int size = settings.size();
        List<Driver.Link> links = new ArrayList<>();
        AtomicLong delivered = new AtomicLong();
        AtomicLong lastDelivery = new AtomicLong();
        CountDownLatch allReceived = new CountDownLatch(settings.subscribers());
        Recorder recorder = new Recorder(3);
        try {
            List<Driver.Link> publishers = new ArrayList<>();
            for (int i = 0; i < settings.publishers(); i++) {
                Driver.Link link = driver.connect("bench-pub-" + i);
                links.add(link);
                publishers.add(link);
                if (size > link.maxPayload()) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT, "a payload of %d B is larger "
                            + "than the broker's max payload of %d B", size, link.maxPayload()));
                }
            }
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
            AtomicLong published = new AtomicLong();
            AtomicReference<Exception> failure = new AtomicReference<>();
            CountDownLatch publishersDone = new CountDownLatch(publishers.size());
            AtomicLong publishEnd = new AtomicLong();
            long generatorCpuStart = ProcessCpu.selfNanos();
            long brokerCpuStart = ProcessCpu.nanos(settings.brokerPid());
            long start = System.nanoTime();
            for (Driver.Link p : publishers) {
                Thread t = new Thread(() -> {
                    try {
                        for (long n = 0; n < perPublisher; n++) {
                            pace(start, n, settings.rate() / (double) settings.publishers());
                            byte[] payload = new byte[size];
                            ByteBuffer.wrap(payload).putLong(0, System.nanoTime());
                            p.publish(topic, payload);
                            published.incrementAndGet();
                        }
                        p.flush(Duration.ofMinutes(5));
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
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
            if (failure.get() != null) {
                Exception e = failure.get();
                throw new IllegalStateException("a publisher failed after " + published.get() + " messages: "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
            }
            awaitDeliveries(allReceived, delivered, deadline, settings.quiet());
            long generatorCpuEnd = ProcessCpu.selfNanos();
            long brokerCpuEnd = ProcessCpu.nanos(settings.brokerPid());
            // Publishers still blocked at the deadline (a broker that stopped reading) are counted up to now.
            long publishedUntil = publishersDone.getCount() == 0 ? publishEnd.get() : System.nanoTime();
            long end = settings.subscribers() == 0 || delivered.get() == 0 ? publishedUntil : lastDelivery.get();
            double seconds = Math.max(1, end - start) / 1e9;
            double publishSeconds = Math.max(1, publishedUntil - start) / 1e9;
            return new Result(driver.system(), settings, published.get(), delivered.get(), seconds, publishSeconds,
                    recorder.getIntervalHistogram(), difference(generatorCpuStart, generatorCpuEnd),
                    difference(brokerCpuStart, brokerCpuEnd));
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

    /**
     * Waits until message {@code n} of a publisher sending {@code perSecond} is due, counted from {@code start}
     * (a late publisher catches up at once, so the average holds); no wait when {@code perSecond} is 0.
     */
    private static void pace(long start, long n, double perSecond) {
        if (perSecond <= 0) {
            return;
        }
        long due = start + (long) (n * 1e9 / perSecond);
        long wait;
        // parkNanos oversleeps by tens of microseconds, so at high rates the messages go in small bursts; spinning
        // instead would take a core from the broker on a small machine.
        while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }

    private static long difference(long before, long after) {
        return before < 0 || after < 0 ? -1 : after - before;
    }

    /** Until everything arrived, the deadline passed, or nothing arrived for {@code quiet}. */
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
