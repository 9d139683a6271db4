package io.courier.loadgen;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One-way latency between two connections of this JVM through the broker: a publisher sends messages carrying their
 * number and send time, a subscriber on another connection records arrival minus send time (one clock, so no clock
 * skew). Without a rate the next message goes when the previous one arrived, or after {@code lossWait} when it did
 * not (UDP may lose it): idle latency. With a rate, messages go on a fixed schedule and are stamped with the time
 * they were due, so a stall of the generator counts (coordinated omission corrected). Works on any {@link Driver};
 * the UDP comparison runs it on {@link CourierDriver} with and without UDP, since a datagram carries no reply topic
 * and request/reply cannot be timed over UDP.
 */
public final class OneWayBench {

    /** Bytes of message number and send time at the start of every payload. */
    public static final int MIN_SIZE = 16;

    public record Settings(int messages, int warmup, int size, int rate, Duration lossWait, Duration quiet) {
        public Settings {
            if (messages < 1 || warmup < 0 || size < MIN_SIZE || rate < 0) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "need messages >= 1, warmup >= 0, "
                        + "size >= %d, rate >= 0; got %d, %d, %d, %d", MIN_SIZE, messages, warmup, size, rate));
            }
        }
    }

    /**
     * {@code sent} measured messages handed to the client, {@code received} of them arrived (each at most once
     * counted: a duplicate would be counted again, Courier sends none), latency in nanoseconds.
     */
    public record Result(String system, Settings settings, long sent, long received, Histogram nanos,
                         double seconds) {
        public long lost() {
            return sent - received;
        }

        public double sentPerSecond() {
            return sent / seconds;
        }
    }

    private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(60);

    private OneWayBench() {
    }

    public static Result run(Driver driver, Settings s) throws Exception {
        String topic = driver.topic("bench.oneway." + Long.toHexString(System.nanoTime()));
        try (Driver.Link subscriber = driver.connect("bench-oneway-sub");
             Driver.Link publisher = driver.connect("bench-oneway-pub")) {
            if (s.size() > publisher.maxPayload()) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "a payload of %d B is larger than the "
                        + "broker's max payload of %d B", s.size(), publisher.maxPayload()));
            }
            Recorder recorder = new Recorder(MAX_NANOS, 3);
            AtomicLong received = new AtomicLong();
            AtomicLong lastArrival = new AtomicLong();
            AtomicLong highest = new AtomicLong(-1);
            Thread sender = Thread.currentThread();
            int total = s.warmup() + s.messages();
            subscriber.subscribe(topic, payload -> {
                long now = System.nanoTime();
                ByteBuffer b = ByteBuffer.wrap(payload);
                long n = b.getLong(0);
                if (n >= s.warmup()) {
                    recorder.recordValue(Math.min(MAX_NANOS, Math.max(0, now - b.getLong(8))));
                    received.incrementAndGet();
                }
                lastArrival.lazySet(now);
                highest.accumulateAndGet(n, Math::max);
                LockSupport.unpark(sender);
            });
            long interval = s.rate() == 0 ? 0 : 1_000_000_000L / s.rate();
            long start = System.nanoTime();
            long measuredFrom = start;
            for (int i = 0; i < total; i++) {
                if (i == s.warmup()) {
                    measuredFrom = System.nanoTime();
                }
                long stamp;
                if (interval == 0) {
                    stamp = System.nanoTime();
                } else {
                    stamp = start + i * interval;
                    LatencyBench.pace(stamp);
                }
                byte[] payload = new byte[s.size()];
                ByteBuffer.wrap(payload).putLong(0, i).putLong(8, stamp);
                publisher.publish(topic, payload);
                if (interval == 0) {
                    long deadline = System.nanoTime() + s.lossWait().toNanos();
                    long left;
                    while (highest.get() < i && (left = deadline - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(left);
                    }
                }
            }
            long sendEnd = System.nanoTime();
            publisher.flush(Duration.ofSeconds(30));
            // Until everything measured arrived, or nothing arrived for quiet (lost datagrams never will).
            long lastProgress = System.nanoTime();
            long seen = -1;
            while (received.get() < s.messages()) {
                Thread.sleep(10);
                long r = received.get();
                if (r != seen) {
                    seen = r;
                    lastProgress = System.nanoTime();
                } else if (System.nanoTime() - lastProgress > s.quiet().toNanos()) {
                    break;
                }
            }
            Histogram h = recorder.getIntervalHistogram();
            return new Result(driver.system(), s, s.messages(), received.get(), h,
                    Math.max(1, sendEnd - measuredFrom) / 1e9);
        }
    }
}
