package io.courier.broker.routing;

import org.apache.pekko.util.ByteString;

/** The receiving end of subscriptions: one per client link. Called from publishers' threads, so thread-safe. */
public interface Subscriber {

    /** Identity of the link, used for echo suppression. */
    long id();

    /** Queues one encoded frame for the client; returns false when the frame was not queued (slow consumer). */
    boolean offer(ByteString frame);

    /** A subscription of this link delivered its last message ({@code UNSUB} with a maximum) and left the index. */
    void expired(Subscription subscription);
}
