package io.courier.client;

import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription and its delivery queue. The reader thread {@link #offer}s messages; a task on the shared dispatch
 * pool drains them into the handler one at a time, so a slow handler delays only its own subscription. See
 * {@link Subscription} for the overflow policy. The client's own request inbox is the one subscription whose handler
 * runs on the reader thread itself ({@code onReader}): it only completes futures.
 */
final class ClientSubscription implements Subscription, Runnable {

    private static final Logger log = LoggerFactory.getLogger(ClientSubscription.class);
    private static final int INITIAL_COLLECT = 16;
    /** Most messages handed over as one chunk, so that a long read does not hold back the first ones. */
    private static final int MAX_COLLECT = 256;

    /** What the connection does for a subscription: tell the broker, update the registry, report trouble. */
    interface Owner {
        void unsubscribe(ClientSubscription subscription);

        void unsubscribeAfter(ClientSubscription subscription, long n);

        /** The first drop of an overflow episode; {@code dropped} is the total so far. Reader thread. */
        void slowConsumer(ClientSubscription subscription, long dropped);

        /** The handler threw on {@code message}. */
        void handlerFailed(ClientSubscription subscription, Message message, Exception exception);

        /** Asks the broker for the subscription's last values (LAST); completes when they were all handed over. */
        java.util.concurrent.CompletableFuture<Void> resync(ClientSubscription subscription);
    }

    private final int sid;
    private final String pattern;
    private final String queueGroup;
    private final MessageHandler handler;
    private final int pendingLimit;
    private final boolean onReader;
    private final Delivery delivery;
    private final Owner owner;
    /** UDP reader only: the sequence number the next datagram should carry; -1 before the first. */
    private long udpNext = -1;
    /** Chunks of messages for the handler, one per read (at most {@link #MAX_COLLECT} each). */
    private final ConcurrentLinkedQueue<Message[]> queue = new ConcurrentLinkedQueue<>();
    /** Messages the drain took from the queue so far; written by the drain only. */
    private final AtomicLong taken = new AtomicLong();
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
    /** Set, before the subscription is cancelled, when the broker refused it. */
    private volatile SubscriptionError refusal;
    // Reader thread only: messages accepted so far, what is collected for the next hand-over, and how many more may
    // be accepted before the count waiting for the handler is checked again (accepted - taken vs pendingLimit).
    private long accepted;
    private Message[] collected;
    private int collectedCount;
    private int room;

    ClientSubscription(int sid, String pattern, String queueGroup, MessageHandler handler, int pendingLimit,
                       boolean onReader, Delivery delivery, Owner owner) {
        this.delivery = delivery;
        this.sid = sid;
        this.pattern = pattern;
        this.queueGroup = queueGroup;
        this.handler = handler;
        this.pendingLimit = pendingLimit;
        this.onReader = onReader;
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
    public Delivery delivery() {
        return delivery;
    }

    @Override
    public java.util.concurrent.CompletableFuture<Void> resync() {
        return owner.resync(this);
    }

    /**
     * UDP reader only: the datagrams lost before one numbered {@code seq} (unsigned); -1 when it is older than one
     * already seen (it came late, and a newer value has been delivered).
     */
    long udpGap(int seq) {
        long s = seq & 0xFFFF_FFFFL;
        if (udpNext < 0) {
            udpNext = (s + 1) & 0xFFFF_FFFFL;
            return 0;
        }
        long ahead = (s - udpNext) & 0xFFFF_FFFFL;
        if (ahead >= 1L << 31) {
            return -1;
        }
        udpNext = (s + 1) & 0xFFFF_FFFFL;
        return ahead;
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

    @Override
    public Optional<SubscriptionError> error() {
        return Optional.ofNullable(refusal);
    }

    /** Marks the subscription ended now and discards what is queued. Returns false when it was already cancelled. */
    boolean cancel() {
        return cancelled.compareAndSet(false, true);
    }

    /**
     * The broker refused the SUB: ends the subscription for {@code error}, which {@link #error()} returns from now
     * on (set first, so that whoever sees the subscription inactive because of it also sees why). Reader thread.
     */
    void refuse(SubscriptionError error) {
        refusal = error;
        cancelled.set(true);
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
     * Reader thread: takes a message for the handler (or drops it when {@code pendingLimit} messages already wait).
     * Taken messages collect until {@link #handOver()}. Returns true when this arrival reached the
     * {@link #unsubscribeAfter} limit, so the caller removes the subscription.
     */
    boolean offer(Message message) {
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
        if (onReader) {
            handle(message);
            return reachedLimit;
        }
        if (room == 0) {
            room = (int) Math.max(0, pendingLimit - (accepted - taken.get()));
            if (room == 0) {
                drop();
                return reachedLimit;
            }
        }
        room--;
        accepted++;
        if (collected == null) {
            collected = new Message[INITIAL_COLLECT];
        } else if (collectedCount == collected.length) {
            collected = Arrays.copyOf(collected, collected.length * 2);
        }
        collected[collectedCount++] = message;
        if (collectedCount == MAX_COLLECT) {
            handOver();
        }
        return reachedLimit;
    }

    /**
     * Offers {@code message} and hands it over at once, under this subscription's lock: for the paths other than the
     * TCP reader's MSGs (UDP datagrams, RESYNC frames), which may reach one subscription from two threads.
     */
    synchronized void offerAndHandOver(Message message, Subscriptions registry) {
        if (offer(message)) {
            registry.remove(this);
        }
        handOver();
    }

    /** Reader thread: whether messages taken by {@link #offer} wait for {@link #handOver()}. */
    boolean holdsMessages() {
        return collectedCount > 0;
    }

    /**
     * Reader thread: queues the collected messages for the handler as one chunk and makes sure a drain task runs: one
     * queue operation and at most one dispatch per read, however many messages it brought.
     */
    void handOver() {
        if (collectedCount == 0) {
            return;
        }
        queue.add(Arrays.copyOf(collected, collectedCount));
        Arrays.fill(collected, 0, collectedCount, null);
        collectedCount = 0;
        if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
            Dispatch.pool().execute(this);
        }
    }

    private void drop() {
        long count = dropped + 1;
        dropped = count;
        if (!overflowing) {
            overflowing = true;
            log.warn("subscription {} on '{}' is dropping messages: {} are waiting for its handler "
                    + "(subscriptionPendingLimit)", sid, pattern, pendingLimit);
            owner.slowConsumer(this, count);
        }
    }

    /** Drains the queue into the handler; runs on the dispatch pool, never twice at once. */
    @Override
    public void run() {
        while (true) {
            Message[] chunk = queue.poll();
            if (chunk == null) {
                overflowing = false;
                scheduled.set(false);
                if (queue.isEmpty() || !scheduled.compareAndSet(false, true)) {
                    return;
                }
                continue;
            }
            int i = 0;
            try {
                while (i < chunk.length) {
                    Message message = chunk[i++];
                    taken.lazySet(taken.get() + 1);
                    if (!cancelled.get()) {
                        handle(message);
                    }
                }
            } catch (Error e) {
                taken.lazySet(taken.get() + chunk.length - i); // the rest of the chunk is lost with the task
                scheduled.set(false);
                throw e;
            }
        }
    }

    private void handle(Message message) {
        try {
            handler.onMessage(message);
        } catch (Exception e) {
            log.warn("handler of subscription {} on '{}' threw on a message from '{}'; continuing",
                    sid, pattern, message.topic(), e);
            owner.handlerFailed(this, message, e);
        }
        delivered++;
    }
}
