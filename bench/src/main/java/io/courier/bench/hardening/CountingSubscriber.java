package io.courier.bench.hardening;

import io.courier.protocol.Frame;
import io.courier.protocol.Message;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * Reads a subscribed {@link RawLink} on its own thread, as fast as it can or at a byte rate, and counts the MSGs.
 * Payloads written by {@link RawPublisher} (or {@link #stamp}) start with {@code seq:u64 sentNanos:u64}: the reader
 * then also tracks the last sequence number, the gaps in the sequence and the largest end-to-end latency.
 */
final class CountingSubscriber {

    private final RawLink link;
    private final Throttle throttle;
    private final int chunk;
    private final Consumer<Frame> onFrame = this::onFrame;
    private final Thread thread;
    private volatile boolean stopped;
    private volatile long messages;
    private volatile long lastArrivalNanos;
    private volatile long lastSeq = -1;
    private volatile long gaps;
    private volatile long maxLatencyNanos;

    private CountingSubscriber(RawLink link, double bytesPerSecond) {
        this.link = link;
        this.throttle = bytesPerSecond > 0 ? new Throttle(bytesPerSecond) : null;
        this.chunk = bytesPerSecond > 0 ? (int) Math.max(1024, Math.min(16 * 1024, bytesPerSecond / 200)) : 256 * 1024;
        this.thread = HardeningCommand.daemon(link.name() + "-reader", this::run);
    }

    /** Starts reading {@code link}; {@code bytesPerSecond} 0 reads as fast as possible. */
    static CountingSubscriber start(RawLink link, double bytesPerSecond) {
        return new CountingSubscriber(link, bytesPerSecond);
    }

    /** Writes {@code seq} and the current time at the start of {@code payload}. */
    static void stamp(byte[] payload, long seq) {
        stamp(payload, seq, System.nanoTime());
    }

    /** Writes {@code seq} and {@code sentNanos} at the start of {@code payload}, where {@link #onFrame} reads them. */
    static void stamp(byte[] payload, long seq, long sentNanos) {
        ByteBuffer b = ByteBuffer.wrap(payload);
        b.putLong(0, seq);
        b.putLong(8, sentNanos);
    }

    RawLink link() {
        return link;
    }

    long messages() {
        return messages;
    }

    long lastArrivalNanos() {
        return lastArrivalNanos;
    }

    long lastSeq() {
        return lastSeq;
    }

    long gaps() {
        return gaps;
    }

    double maxLatencyMillis() {
        return maxLatencyNanos / 1e6;
    }

    /** Bytes read so far; -1 when not throttled (only the throttle counts them). */
    long bytesRead() {
        return throttle == null ? -1 : throttle.bytes();
    }

    /** Stops reading (the link stays open) and waits for the thread. */
    void stop() throws InterruptedException {
        stopped = true;
        thread.join(3000);
    }

    void awaitEnd(long millis) throws InterruptedException {
        thread.join(Math.max(1, millis));
    }

    private void run() {
        while (!stopped) {
            int max = throttle == null ? chunk : throttle.next(chunk);
            int n = link.read(max, 200, onFrame);
            if (n < 0) {
                return;
            }
            if (throttle != null) {
                throttle.took(n);
            }
        }
    }

    private void onFrame(Frame frame) {
        if (frame instanceof Message m) {
            long now = System.nanoTime();
            messages++;
            lastArrivalNanos = now;
            byte[] p = m.payload();
            if (p.length >= 16) {
                ByteBuffer b = ByteBuffer.wrap(p);
                long seq = b.getLong(0);
                if (lastSeq >= 0 && seq != lastSeq + 1) {
                    gaps++;
                }
                lastSeq = seq;
                long latency = now - b.getLong(8);
                if (latency > maxLatencyNanos) {
                    maxLatencyNanos = latency;
                }
            }
        }
    }
}
