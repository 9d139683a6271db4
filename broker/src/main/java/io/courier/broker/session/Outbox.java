package io.courier.broker.session;

import io.courier.broker.BrokerSettings.SlowConsumerPolicy;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.PublisherFlow;
import org.apache.pekko.util.ByteString;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A connection's outbound queue, bounded in bytes. Publishers' threads offer frames here directly (no actor
 * message); the connection's {@link OutboxSource} drains everything queued into one buffer per socket write.
 *
 * <p>Messages that would push the pending bytes over the limit meet the slow-consumer policy: under
 * {@code disconnect} the owner is told once and closes the link; under {@code drop} they are counted and the owner
 * reports the count to the client. Control frames (PONG, ERR, CONNECTED) bypass the byte limit: they are few and
 * the client must see them.
 *
 * <p>Publisher flow control: a message that leaves more than half the limit pending tells the publisher (see
 * {@link PublisherFlow}), which stops reading until this outbox is back under a quarter of the limit, or until it
 * gave up waiting and called {@link #stopPacing}; from then until the outbox drains, only the policy applies.
 *
 * <p>No garbage per message: frames go into a {@link FrameQueue}'s reused arrays instead of a linked queue with a
 * node and a record per message. Publishers add to one queue under a lock held for a few stores; the source swaps it
 * for the one it has written out, once per batch, and writes the batch without the lock.
 */
final class Outbox implements PublisherFlow.Drain {

    /** Called once when the first message overflows under the disconnect policy. */
    interface OverflowListener {
        void overflowed();
    }

    /** What the source is told through its wake-up callback. */
    sealed interface Signal permits Wake, Abort { }

    enum Wake implements Signal { INSTANCE }

    record Abort(Throwable reason) implements Signal { }

    private final long maxPending;
    private final SlowConsumerPolicy policy;
    private final BrokerStats stats;
    private final OverflowListener listener;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicBoolean overflowed = new AtomicBoolean();
    private volatile Consumer<Signal> signal;
    private volatile boolean completing;

    private final Object lock = new Object();
    /** Where publishers add frames. Guarded by {@link #lock}. */
    private FrameQueue adding = new FrameQueue();
    /** Bytes ever queued; minus {@link #written}, the bytes pending. Guarded by {@link #lock}. */
    private long offered;
    /** True while the source waits for frames; whoever clears it wakes the source. Guarded by {@link #lock}. */
    private boolean sourceWaiting;
    /** What the source is writing out. Only the source touches it. */
    private FrameQueue writing = new FrameQueue();
    /** Bytes of the batch counted by {@link #nextBatch} and not yet written. Only the source touches it. */
    private int batchBytes;
    /**
     * Bytes ever written out. The source is its only writer (a plain increment is safe) and publishers read it
     * without the lock, so writing a batch out never contends with them.
     */
    private volatile long written;

    private final boolean pacePublishers;
    private final long highWater;
    private final long lowWater;
    /** Whether a filling outbox tells its publishers. Guarded by {@link #lock}. */
    private boolean pacing;
    /** Publishers waiting for this outbox to drain. Guarded by {@link #lock}. */
    private final List<Runnable> drainWaiters = new ArrayList<>();
    /** Set while someone waits for the drain (or pacing is off): the source then checks after each write. */
    private volatile boolean watchDrain;

    Outbox(long maxPending, SlowConsumerPolicy policy, boolean pacePublishers, BrokerStats stats,
           OverflowListener listener) {
        this.maxPending = maxPending;
        this.pacePublishers = pacePublishers;
        this.pacing = pacePublishers;
        this.highWater = maxPending / 2;
        this.lowWater = maxPending / 4;
        this.policy = policy;
        this.stats = stats;
        this.listener = listener;
    }

    /** Queues a MSG under the byte limit and the slow-consumer policy; tells {@code flow} when it fills up. */
    boolean offerMessage(int sid, ByteString body, PublisherFlow flow) {
        if (overflowed.get() || completing) {
            return false;
        }
        int size = FrameQueue.messageSize(body);
        boolean queued;
        boolean wake = false;
        boolean congested = false;
        synchronized (lock) {
            long pending = offered - written + size;
            queued = pending <= maxPending;
            if (queued) {
                offered += size;
                adding.addMessage(sid, body);
                wake = takeWaiting();
                congested = pacing && pending > highWater;
            }
        }
        if (!queued) {
            overflow();
            return false;
        }
        if (wake) {
            wake();
        }
        if (congested) {
            flow.congested(this);
        }
        return true;
    }

    /** Queues an encoded control frame regardless of the byte limit. */
    void offerControl(ByteString frame) {
        if (completing) {
            return;
        }
        boolean wake;
        synchronized (lock) {
            offered += frame.size();
            adding.addControl(frame);
            wake = takeWaiting();
        }
        if (wake) {
            wake();
        }
    }

    @Override
    public void whenDrained(Runnable resume) {
        synchronized (lock) {
            if (!completing && offered - written > lowWater) {
                drainWaiters.add(resume);
                watchDrain = true;
                return;
            }
        }
        resume.run();
    }

    @Override
    public void stopPacing() {
        synchronized (lock) {
            pacing = false;
            watchDrain = true;
        }
    }

    /** After a write: when under the low-water mark, resume the waiting publishers and pace again. */
    private void checkDrained() {
        List<Runnable> ready;
        synchronized (lock) {
            if (!completing && offered - written > lowWater) {
                return;
            }
            pacing = pacePublishers;
            watchDrain = false;
            ready = List.copyOf(drainWaiters);
            drainWaiters.clear();
        }
        ready.forEach(Runnable::run);
    }

    /** Messages dropped since the last call (drop policy). */
    long takeDropped() {
        return dropped.getAndSet(0);
    }

    /** Flush what is queued, then end the stream (which closes the socket). Later offers are ignored. */
    void complete() {
        completing = true;
        checkDrained();
        boolean wake;
        synchronized (lock) {
            wake = takeWaiting();
        }
        if (wake) {
            wake();
        }
    }

    /** End the stream now, discarding what is queued. */
    void abort(Throwable reason) {
        completing = true;
        checkDrained();
        Consumer<Signal> s = signal;
        if (s != null) {
            s.accept(new Abort(reason));
        }
    }

    // ------------------------------------------------------------------ the source's side

    void attach(Consumer<Signal> signal) {
        this.signal = signal;
    }

    /**
     * Counts the next batch to write: the frames queued, oldest first, that fit in {@code maxBytes} (at least one).
     * Returns its size in bytes; write it with {@link #writeBatch}. Returns 0 when nothing is queued: the source
     * then waits for a {@link Wake} (unless the outbox is completing), registered in the same step, so a frame
     * offered meanwhile is either in this batch or wakes the source.
     */
    int nextBatch(int maxBytes) {
        if (writing.isDrained()) {
            writing.reset();
            synchronized (lock) {
                FrameQueue filled = adding;
                adding = writing;
                writing = filled;
                sourceWaiting = writing.isDrained() && !completing;
            }
        }
        batchBytes = writing.nextBatchBytes(maxBytes);
        return batchBytes;
    }

    /** Writes the batch counted by {@link #nextBatch} into {@code target}, which has room for it. */
    void writeBatch(ByteBuffer target) {
        writing.writeBatch(target, batchBytes);
        written += batchBytes;
        batchBytes = 0;
        if (watchDrain) {
            checkDrained();
        }
    }

    boolean isCompleting() {
        return completing;
    }

    private boolean takeWaiting() {
        boolean waiting = sourceWaiting;
        sourceWaiting = false;
        return waiting;
    }

    private void wake() {
        Consumer<Signal> s = signal;
        if (s != null) {
            s.accept(Wake.INSTANCE);
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
