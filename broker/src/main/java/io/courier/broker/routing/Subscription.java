package io.courier.broker.routing;

import io.courier.broker.Failures;
import org.apache.pekko.util.ByteString;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One client subscription: a pattern, an optional queue group, and where its messages go. Delivery may happen on
 * many publishers' threads at once; the only mutable state is the optional countdown set by UNSUB with a maximum.
 */
public final class Subscription {

    private static final long UNLIMITED = Long.MAX_VALUE;

    private final Subscriber subscriber;
    private final int sid;
    private final String pattern;
    private final String queueGroup;
    /** Whether this is another broker's interest rather than a client's subscription. */
    private final boolean remote;
    private final AtomicLong remaining = new AtomicLong(UNLIMITED);
    /** Where this subscription stands in its {@link SubscriberSet}; written by the index's writer only. */
    int slot = -1;

    public Subscription(Subscriber subscriber, int sid, String pattern, String queueGroup) {
        this.subscriber = subscriber;
        this.sid = sid;
        this.pattern = pattern;
        this.queueGroup = queueGroup;
        this.remote = subscriber instanceof RemoteSubscriber;
    }

    public Subscriber subscriber() {
        return subscriber;
    }

    public int sid() {
        return sid;
    }

    public String pattern() {
        return pattern;
    }

    public String queueGroup() {
        return queueGroup;
    }

    public boolean inQueueGroup() {
        return !queueGroup.isEmpty();
    }

    /** Another broker's interest in the pattern (its subscriber is a {@link RemoteSubscriber}). */
    public boolean isRemote() {
        return remote;
    }

    /** Limits the subscription to {@code max} more deliveries. */
    public void limitTo(long max) {
        remaining.set(max);
    }

    /**
     * Sends a message whose MSG body after the sid is {@code body} (the publisher's PUB body, shared by all
     * subscribers). Returns false when the subscription is used up or the subscriber refused it. A subscriber that
     * throws is told so and counts as refusing: its failure stays with its own link, not the publisher's.
     */
    boolean deliver(ByteString body, PublisherFlow flow) {
        boolean last = false;
        if (remaining.get() != UNLIMITED) {
            long left = remaining.decrementAndGet();
            if (left < 0) {
                return false;
            }
            last = left == 0;
        }
        boolean queued;
        try {
            queued = subscriber.offer(sid, body, flow);
        } catch (RuntimeException | Error e) {
            if (!Failures.containable(e)) {
                throw e;
            }
            subscriber.failed(e);
            return false;
        }
        if (last) {
            subscriber.expired(this);
        }
        return queued;
    }

    @Override
    public String toString() {
        return "Subscription[sid=" + sid + ", pattern=" + pattern
                + (queueGroup.isEmpty() ? "" : ", queue=" + queueGroup) + "]";
    }
}
