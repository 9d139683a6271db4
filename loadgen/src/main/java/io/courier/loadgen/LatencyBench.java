package io.courier.loadgen;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Request/reply round trips between two connections through the broker: a responder echoes each request.
 * Without a rate the requester sends the next request when the reply has arrived (ping-pong). With a rate,
 * requests are sent on a fixed schedule without waiting for replies, and each is timed from when it was due, not
 * when it was sent, so a stall shows up in every request it delayed (coordinated omission corrected).
 */
public final class LatencyBench {

    /** What to run; {@code rate} is requests per second, 0 for back-to-back ping-pong. */
    public record Settings(int requests, int warmup, int size, int rate, Duration timeout) {
        public Settings {
            if (requests < 1 || warmup < 0 || size < 0 || rate < 0) {
                throw new IllegalArgumentException("requests must be >= 1; warmup, size and rate >= 0");
            }
        }
    }

    /** Round-trip times in nanoseconds. */
    public record Result(String system, Settings settings, Histogram nanos, double seconds, long failed) { }

    /** How early the long park ends: more than a park's usual overshoot on Linux (timer slack and wake-up). */
    private static final long COARSE_PARK_MARGIN = 150_000;
    private static final long FINE_PARK = 50_000;

    private LatencyBench() {
    }

    /**
     * Waits until {@code due}: one park for most of the gap, then short ones, so the generator wakes a few times per
     * request instead of every 50 us (at 1,000/s that was about 20 wake-ups per request, on the same two cores as
     * the broker under test). Lateness still counts, since every request is timed from {@code due}.
     */
    static void pace(long due) {
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait > COARSE_PARK_MARGIN ? wait - COARSE_PARK_MARGIN : Math.min(wait, FINE_PARK));
        }
    }

    /**
     * Runs once.
     *
     * @throws IllegalArgumentException when the payload is larger than the broker accepts (before anything is sent)
     */
    public static Result run(Driver driver, Settings settings) throws Exception {
        String topic = driver.topic("bench.echo." + Long.toHexString(System.nanoTime()));
        try (Driver.Link responder = driver.connect("bench-responder");
             Driver.Link requester = driver.connect("bench-requester")) {
            byte[] payload = new byte[Math.max(8, settings.size())];
            if (payload.length > requester.maxPayload()) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "a payload of %d B is larger than the "
                        + "broker's max payload of %d B", payload.length, requester.maxPayload()));
            }
            responder.respond(topic);
            for (int i = 0; i < settings.warmup(); i++) {
                requester.request(topic, payload, settings.timeout()).exceptionally(e -> null).join();
            }
            Recorder recorder = new Recorder(TimeUnit.SECONDS.toNanos(60), 3);
            AtomicLong failed = new AtomicLong();
            long interval = settings.rate() == 0 ? 0 : 1_000_000_000L / settings.rate();
            long start = System.nanoTime();
            CompletableFuture<?> last = CompletableFuture.completedFuture(null);
            for (int i = 0; i < settings.requests(); i++) {
                long due = interval == 0 ? System.nanoTime() : start + i * interval;
                pace(due);
                last = requester.request(topic, payload, settings.timeout()).handle((reply, error) -> {
                    if (error != null) {
                        failed.incrementAndGet();
                    } else {
                        recorder.recordValue(Math.min(TimeUnit.SECONDS.toNanos(60), System.nanoTime() - due));
                    }
                    return null;
                });
                if (interval == 0) {
                    last.join();
                }
            }
            last.join();
            // Replies may complete out of order: wait for every recording, not just the last request's.
            long deadline = System.nanoTime() + settings.timeout().toNanos();
            Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
            while (true) {
                histogram.add(recorder.getIntervalHistogram());
                if (histogram.getTotalCount() + failed.get() >= settings.requests() || System.nanoTime() > deadline) {
                    break;
                }
                Thread.sleep(10);
            }
            return new Result(driver.system(), settings, histogram, (System.nanoTime() - start) / 1e9,
                    settings.requests() - histogram.getTotalCount());
        }
    }
}
