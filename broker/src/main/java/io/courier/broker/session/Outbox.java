package io.courier.broker.session;

import io.courier.broker.BrokerSettings.SlowConsumerPolicy;
import io.courier.broker.BrokerStats;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.util.ByteString;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A connection's outbound queue, bounded in bytes. Any publisher thread may offer frames; the connection's TCP
 * stream drains them (and the stage concatenates queued frames into large socket writes).
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

    private final BoundedSourceQueue<ByteString> queue;
    private final AtomicLong pending;
    private final long maxPending;
    private final SlowConsumerPolicy policy;
    private final BrokerStats stats;
    private final OverflowListener listener;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicBoolean overflowed = new AtomicBoolean();

    Outbox(BoundedSourceQueue<ByteString> queue, AtomicLong pending, long maxPending, SlowConsumerPolicy policy,
           BrokerStats stats, OverflowListener listener) {
        this.queue = queue;
        this.pending = pending;
        this.maxPending = maxPending;
        this.policy = policy;
        this.stats = stats;
        this.listener = listener;
    }

    /** Queues a message frame under the byte limit and the slow-consumer policy. */
    boolean offerMessage(ByteString frame) {
        if (overflowed.get()) {
            return false;
        }
        int size = frame.size();
        if (pending.addAndGet(size) > maxPending) {
            pending.addAndGet(-size);
            overflow();
            return false;
        }
        if (queue.offer(frame) != QueueOfferResult.enqueued()) {
            pending.addAndGet(-size);
            return false;
        }
        return true;
    }

    /** Queues a control frame regardless of the byte limit. */
    void offerControl(ByteString frame) {
        pending.addAndGet(frame.size());
        if (queue.offer(frame) != QueueOfferResult.enqueued()) {
            pending.addAndGet(-frame.size());
        }
    }

    /** Messages dropped since the last call (drop policy). */
    long takeDropped() {
        return dropped.getAndSet(0);
    }

    long pendingBytes() {
        return pending.get();
    }

    /** Flush what is queued, then end the stream (which closes the socket). */
    void complete() {
        queue.complete();
    }

    /** End the stream now, discarding what is queued. */
    void abort(Throwable reason) {
        if (!queue.isCompleted()) {
            queue.fail(reason);
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
