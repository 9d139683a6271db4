package io.courier.client;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription and its delivery queue. The reader thread {@link #offer}s messages; a task on the shared dispatch
 * pool drains them into the handler one at a time, so a slow handler delays only its own subscription. See
 * {@link Subscription} for the overflow policy.
 */
final class ClientSubscription implements Subscription, Runnable {

    private static final Logger log = LoggerFactory.getLogger(ClientSubscription.class);

    /** What the connection does for a subscription: tell the broker, update the registry. */
    interface Owner {
        void unsubscribe(ClientSubscription subscription);

        void unsubscribeAfter(ClientSubscription subscription, long n);
    }

    private final int sid;
    private final String pattern;
    private final String queueGroup;
    private final MessageHandler handler;
    private final int pendingLimit;
    private final Owner owner;
    private final ConcurrentLinkedQueue<Message> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicBoolean cancelled = new AtomicBoolean();
    /** Arrivals counted against {@link #max}; written by the reader thread only. */
    private volatile long received;
    /** Total arrivals at which the subscription ends; 0 for no limit. */
    private volatile long max;
    private volatile boolean exhausted;
    private volatile long delivered;
    private volatile long dropped;
    private volatile boolean overflowing;

    ClientSubscription(int sid, String pattern, String queueGroup, MessageHandler handler, int pendingLimit,
                       Owner owner) {
        this.sid = sid;
        this.pattern = pattern;
        this.queueGroup = queueGroup;
        this.handler = handler;
        this.pendingLimit = pendingLimit;
        this.owner = owner;
    }

    @Override
    public int sid() {
        return sid;
    }

    @Override
    public String pattern() {
        return pattern;
    }

    @Override
    public String queueGroup() {
        return queueGroup;
    }

    @Override
    public void unsubscribe() {
        owner.unsubscribe(this);
    }

    @Override
    public void unsubscribeAfter(long n) {
        if (n < 0 || n > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("unsubscribeAfter needs 0 <= n <= 2^32-1, was " + n);
        }
        if (n == 0) {
            unsubscribe();
        } else {
            owner.unsubscribeAfter(this, n);
        }
    }

    @Override
    public long delivered() {
        return delivered;
    }

    @Override
    public long dropped() {
        return dropped;
    }

    @Override
    public boolean isActive() {
        return !cancelled.get() && !exhausted;
    }

    /** Marks the subscription ended now and discards what is queued. Returns false when it was already cancelled. */
    boolean cancel() {
        return cancelled.compareAndSet(false, true);
    }

    /** Sets the limit to {@code n} more arrivals. Called under the outbound lock. */
    void limitTo(long n) {
        max = received + n;
    }

    /** Messages still allowed by the limit, for re-sending UNSUB on reconnect; 0 when there is no limit. */
    long remaining() {
        long m = max;
        return m == 0 ? 0 : Math.max(1, m - received);
    }

    /**
     * Reader thread: queues a message for the handler (or drops it when the queue is full). Returns true when this
     * arrival reached the {@link #unsubscribeAfter} limit, so the caller removes the subscription.
     */
    boolean offer(io.courier.protocol.Message frame) {
        if (!isActive()) {
            return false;
        }
        long count = received + 1;
        received = count;
        long limit = max;
        boolean reachedLimit = limit != 0 && count >= limit;
        if (reachedLimit) {
            exhausted = true;
        }
        if (queued.get() >= pendingLimit) {
            dropped++;
            if (!overflowing) {
                overflowing = true;
                log.warn("subscription {} on '{}' is dropping messages: {} are waiting for its handler "
                        + "(subscriptionPendingLimit)", sid, pattern, pendingLimit);
            }
            return reachedLimit;
        }
        queued.incrementAndGet();
        queue.add(new Message(frame.topic(), frame.replyTo(), frame.headers(), frame.payload()));
        if (scheduled.compareAndSet(false, true)) {
            Dispatch.pool().execute(this);
        }
        return reachedLimit;
    }

    /** Drains the queue into the handler; runs on the dispatch pool, never twice at once. */
    @Override
    public void run() {
        try {
            while (true) {
                Message message = queue.poll();
                if (message == null) {
                    overflowing = false;
                    scheduled.set(false);
                    if (queue.isEmpty() || !scheduled.compareAndSet(false, true)) {
                        return;
                    }
                    continue;
                }
                queued.decrementAndGet();
                if (cancelled.get()) {
                    continue;
                }
                try {
                    handler.onMessage(message);
                } catch (Exception e) {
                    log.warn("handler of subscription {} on '{}' threw on a message from '{}'; continuing",
                            sid, pattern, message.topic(), e);
                }
                delivered++;
            }
        } catch (Error e) {
            scheduled.set(false);
            throw e;
        }
    }
}
