package io.courier.broker.routing;

import org.apache.pekko.util.ByteString;

/** The receiving end of subscriptions: one per client link. Called from publishers' threads, so thread-safe. */
public interface Subscriber {

    /** Identity of the link, used for echo suppression. */
    long id();

    /**
     * Queues a MSG for subscription {@code sid} whose body after the sid is {@code body} (the publisher's PUB body,
     * shared by every subscriber); returns false when it was not queued (slow consumer, closing link). A queue
     * filling up tells {@code flow}.
     */
    boolean offer(int sid, ByteString body, PublisherFlow flow);

    /** A subscription of this link delivered its last message ({@code UNSUB} with a maximum) and left the index. */
    void expired(Subscription subscription);

    /**
     * {@link #offer} threw on a publisher's thread. The failure is this link's, not the publisher's: the link closes
     * itself (and reports the failure once, however many publishers saw it); the publisher carries on.
     */
    void failed(Throwable cause);
}
