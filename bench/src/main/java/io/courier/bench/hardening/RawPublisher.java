package io.courier.bench.hardening;

import io.courier.protocol.FrameCodec;
import io.courier.protocol.Publish;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes over a {@link RawLink}: PUB frames of one size to one topic, several per socket write, either as fast
 * as the socket takes them or on a schedule of {@code rate} messages per second (a late schedule is caught up, so
 * the offered load stays the same and the time the schedule took shows how long the broker held the publisher
 * back). Each payload starts with {@code seq:u64 sentNanos:u64} (see {@link CountingSubscriber}); every PUB is
 * encoded by {@link FrameCodec}, into one reused buffer.
 */
final class RawPublisher {

    private static final int BATCH = 64;

    private final RawLink link;
    private final double rate;
    private final long maxMessages;
    /** The one payload array: stamped, then encoded by {@link FrameCodec} as {@link #publish}, message by message. */
    private final byte[] payload;
    private final Publish publish;
    /** Up to {@link #BATCH} encoded PUBs, written with one call. */
    private final ByteBuffer batch;
    private volatile long sent;
    private volatile long finishedAtNanos;
    private volatile String stoppedBy = "running";

    /**
     * @param rate messages per second; 0 = as fast as possible
     * @param maxMessages stop after this many
     */
    RawPublisher(RawLink link, String topic, int size, double rate, long maxMessages) {
        if (size < 16) {
            throw new IllegalArgumentException("payload size must be >= 16 (sequence and timestamp), was " + size);
        }
        this.link = link;
        this.rate = rate;
        this.maxMessages = maxMessages;
        this.payload = new byte[size];
        this.publish = new Publish(topic, payload);
        this.batch = ByteBuffer.allocate(FrameCodec.encodedSize(publish) * BATCH);
    }

    /** Publishes on the calling thread until {@code maxMessages} are sent, the deadline passes or the link fails. */
    void run(long startNanos, long deadlineNanos) {
        long n = 0;
        try {
            while (n < maxMessages) {
                long now = System.nanoTime();
                if (now >= deadlineNanos) {
                    stoppedBy = "deadline";
                    break;
                }
                long due = rate <= 0 ? maxMessages : Math.min(maxMessages, (long) ((now - startNanos) * rate / 1e9) + 1);
                if (due <= n) {
                    LockSupport.parkNanos((long) ((n + 1) * 1e9 / rate) - (now - startNanos));
                    continue;
                }
                int k = (int) Math.min(BATCH, due - n);
                long stampTime = System.nanoTime();
                batch.clear();
                for (int i = 0; i < k; i++) {
                    CountingSubscriber.stamp(payload, n + i, stampTime);
                    FrameCodec.encode(publish, batch);
                }
                link.write(batch.array(), 0, batch.position());
                n += k;
                sent = n;
            }
            if (n >= maxMessages) {
                stoppedBy = "done";
            }
        } catch (IOException e) {
            stoppedBy = "link-" + link.fate();
        }
        finishedAtNanos = System.nanoTime();
    }

    Thread start(long startNanos, long deadlineNanos) {
        return HardeningCommand.daemon(link.name() + "-publisher", () -> run(startNanos, deadlineNanos));
    }

    long sent() {
        return sent;
    }

    long finishedAtNanos() {
        return finishedAtNanos;
    }

    /** "done", "deadline", "link-FATE" or "running". */
    String stoppedBy() {
        return stoppedBy;
    }
}
