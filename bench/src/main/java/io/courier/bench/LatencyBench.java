package io.courier.bench;

import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.Options;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * Request/reply round trips between two connections through the broker: a responder echoes each request.
 * Without a rate the requester sends the next request as soon as the reply arrives (ping-pong). With a rate,
 * requests are due at fixed intervals and each is timed from when it was due, not when it was sent, so a stall
 * shows up in every request it delayed (coordinated omission corrected).
 */
public final class LatencyBench {

    /** What to run; {@code rate} is requests per second, 0 for back-to-back ping-pong. */
    public record Settings(List<String> servers, int requests, int warmup, int size, int rate, Duration timeout) {
        public Settings {
            if (requests < 1 || warmup < 0 || size < 0 || rate < 0) {
                throw new IllegalArgumentException("requests must be >= 1; warmup, size and rate >= 0");
            }
        }
    }

    /** Round-trip times in nanoseconds. */
    public record Result(Settings settings, Histogram nanos, double seconds, long failed) { }

    private LatencyBench() {
    }

    public static Result run(Settings settings) throws IOException, InterruptedException, TimeoutException {
        String topic = "bench.echo." + Long.toHexString(System.nanoTime());
        Options options = Options.builder().servers(settings.servers()).name("bench-responder").build();
        try (Connection responder = Courier.connect(options);
             Connection requester = Courier.connect(Options.builder().servers(settings.servers())
                     .name("bench-requester").build())) {
            responder.subscribe(topic, m -> responder.publish(m.replyTo(), Map.of(), m.payload()));
            responder.flush(Duration.ofSeconds(10));
            byte[] payload = new byte[settings.size()];
            for (int i = 0; i < settings.warmup(); i++) {
                requestOnce(requester, topic, payload, settings.timeout());
            }
            Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
            long failed = 0;
            long interval = settings.rate() == 0 ? 0 : 1_000_000_000L / settings.rate();
            long start = System.nanoTime();
            for (int i = 0; i < settings.requests(); i++) {
                long due = interval == 0 ? System.nanoTime() : start + i * interval;
                if (interval != 0) {
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(Math.min(wait, 50_000));
                    }
                }
                if (!requestOnce(requester, topic, payload, settings.timeout())) {
                    failed++;
                    continue;
                }
                histogram.recordValue(Math.min(histogram.getHighestTrackableValue(), System.nanoTime() - due));
            }
            return new Result(settings, histogram, (System.nanoTime() - start) / 1e9, failed);
        }
    }

    private static boolean requestOnce(Connection requester, String topic, byte[] payload, Duration timeout) {
        try {
            requester.request(topic, payload, timeout).get();
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
