package io.courier.bench.hardening;

import io.courier.protocol.FrameType;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A connection that only sends PING at a fixed interval and times each PONG: how long the broker takes to answer a
 * client that does nothing else. PINGs are sent on schedule whether or not earlier ones were answered, so a broker
 * that stalls is charged for every PING that waited, not just one. A round trip belongs to the moment its PING was
 * sent, so a phase is charged for the PINGs sent during it even when their PONGs come after it.
 */
final class Bystander {

    private final RawLink link;
    private final long intervalNanos;
    private final ConcurrentLinkedQueue<Long> outstanding = new ConcurrentLinkedQueue<>();
    /** Pairs of (PING sent at, round trip in microseconds), in the order the PONGs came. */
    private final List<long[]> samples = new ArrayList<>();
    private volatile boolean stopped;

    Bystander(RawLink link, long intervalNanos) {
        this.link = link;
        this.intervalNanos = intervalNanos;
    }

    void start() {
        HardeningCommand.daemon(link.name() + "-pinger", this::sendPings);
        HardeningCommand.daemon(link.name() + "-pongs", () -> {
            while (link.read(64 * 1024, 200, frame -> {
                if (frame.type() == FrameType.PONG) {
                    Long sent = outstanding.poll();
                    if (sent != null) {
                        long rtt = Math.max(0, System.nanoTime() - sent) / 1000;
                        synchronized (samples) {
                            samples.add(new long[] {sent, rtt});
                        }
                    }
                }
            }) >= 0) {
                // RawLink answers the broker's own PINGs and records ERRs.
            }
        });
    }

    /** Round trips (microseconds) of the PINGs sent from {@code fromNanos} to {@code toNanos}. */
    Histogram between(long fromNanos, long toNanos) {
        Histogram h = new Histogram(3);
        synchronized (samples) {
            for (long[] s : samples) {
                if (s[0] >= fromNanos && s[0] < toNanos) {
                    h.recordValue(s[1]);
                }
            }
        }
        return h;
    }

    /** Waits up to {@code millis} for the PINGs sent so far to be answered. */
    void awaitAnswers(long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (!outstanding.isEmpty() && link.isOpen() && System.nanoTime() < deadline) {
            HardeningCommand.pause(10);
        }
    }

    /** PINGs sent but not answered yet. */
    int outstanding() {
        return outstanding.size();
    }

    /** Stops sending PINGs; answers to those sent are still read until the link is closed. */
    void stop() {
        stopped = true;
    }

    RawLink link() {
        return link;
    }

    /** "p50=..ms p99=..ms max=..ms n=.." */
    static String describe(Histogram h) {
        if (h.getTotalCount() == 0) {
            return "no PONG";
        }
        return String.format(Locale.ROOT, "p50=%.2fms p99=%.2fms max=%.2fms n=%d", h.getValueAtPercentile(50) / 1e3,
                h.getValueAtPercentile(99) / 1e3, h.getMaxValue() / 1e3, h.getTotalCount());
    }

    private void sendPings() {
        long next = System.nanoTime();
        while (!stopped && link.isOpen()) {
            long now = System.nanoTime();
            if (now < next) {
                LockSupport.parkNanos(next - now);
                continue;
            }
            outstanding.add(System.nanoTime());
            try {
                link.ping();
            } catch (IOException e) {
                return;
            }
            next += intervalNanos;
            long after = System.nanoTime();
            if (next < after) {
                next = after + intervalNanos;
            }
        }
    }
}
