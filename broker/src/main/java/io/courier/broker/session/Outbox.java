package io.courier.broker.session;

import io.courier.broker.BrokerSettings.SlowConsumerPolicy;
import io.courier.broker.BrokerStats;
import org.apache.pekko.util.ByteString;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A connection's outbound queue, bounded in bytes. Publishers' threads offer frames here directly (no actor
 * message); the connection's {@link OutboxSource} drains everything queued into one buffer per socket write.
 *
 * <p>Messages that would push the pending bytes over the limit meet the slow-consumer policy: under
 * {@code disconnect} the owner is told once and closes the link; under {@code drop} they are counted and the owner
 * reports the count to the client. Control frames (PONG, ERR, CONNECTED) bypass the byte limit: they are few and
 * the client must see them.
 */
final class Outbox {

    /** Called once when the first message overflows under the disconnect policy. */
    interface OverflowListener {
        void overflowed();
    }

    /** A MSG to write: the subscription's sid in front of the publisher's shared PUB body. */
    record Delivery(int sid, ByteString body) { }

    /** What the source is told through its wake-up callback. */
    sealed interface Signal permits Wake, Abort { }

    enum Wake implements Signal { INSTANCE }

    record Abort(Throwable reason) implements Signal { }

    private final ConcurrentLinkedQueue<Object> frames = new ConcurrentLinkedQueue<>();
    private final AtomicLong pending = new AtomicLong();
    private final long maxPending;
    private final SlowConsumerPolicy policy;
    private final BrokerStats stats;
    private final OverflowListener listener;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicBoolean overflowed = new AtomicBoolean();
    /** True while the source waits for frames; whoever flips it back wakes the source. */
    private final AtomicBoolean sourceWaiting = new AtomicBoolean();
    private volatile java.util.function.Consumer<Signal> signal;
    private volatile boolean completing;

    Outbox(long maxPending, SlowConsumerPolicy policy, BrokerStats stats, OverflowListener listener) {
        this.maxPending = maxPending;
        this.policy = policy;
        this.stats = stats;
        this.listener = listener;
    }

    /** Queues a MSG under the byte limit and the slow-consumer policy. */
    boolean offerMessage(int sid, ByteString body) {
        if (overflowed.get() || completing) {
            return false;
        }
        int size = OutboxSource.messageSize(body);
        if (pending.addAndGet(size) > maxPending) {
            pending.addAndGet(-size);
            overflow();
            return false;
        }
        frames.add(new Delivery(sid, body));
        wake();
        return true;
    }

    /** Queues an encoded control frame regardless of the byte limit. */
    void offerControl(ByteString frame) {
        if (completing) {
            return;
        }
        pending.addAndGet(frame.size());
        frames.add(frame);
        wake();
    }

    /** Messages dropped since the last call (drop policy). */
    long takeDropped() {
        return dropped.getAndSet(0);
    }

    /** Flush what is queued, then end the stream (which closes the socket). Later offers are ignored. */
    void complete() {
        completing = true;
        wake();
    }

    /** End the stream now, discarding what is queued. */
    void abort(Throwable reason) {
        completing = true;
        java.util.function.Consumer<Signal> s = signal;
        if (s != null) {
            s.accept(new Abort(reason));
        }
    }

    // ------------------------------------------------------------------ the source's side

    void attach(java.util.function.Consumer<Signal> signal) {
        this.signal = signal;
    }

    Object poll() {
        return frames.poll();
    }

    void released(long bytes) {
        pending.addAndGet(-bytes);
    }

    boolean isCompleting() {
        return completing;
    }

    /**
     * The source has nothing to send and waits. Returns true when frames (or completion) arrived meanwhile and the
     * source should drain again itself instead of waiting for a wake-up.
     */
    boolean park() {
        sourceWaiting.set(true);
        if ((!frames.isEmpty() || completing) && sourceWaiting.compareAndSet(true, false)) {
            return true;
        }
        return false;
    }

    private void wake() {
        if (sourceWaiting.get() && sourceWaiting.compareAndSet(true, false)) {
            java.util.function.Consumer<Signal> s = signal;
            if (s != null) {
                s.accept(Wake.INSTANCE);
            }
        }
    }

    private void overflow() {
        if (policy == SlowConsumerPolicy.DROP) {
            dropped.incrementAndGet();
            stats.droppedOne();
        } else if (overflowed.compareAndSet(false, true)) {
            listener.overflowed();
        }
    }
}
