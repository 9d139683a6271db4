package io.courier.broker.routing;

import org.apache.pekko.util.ByteString;

/**
 * Another broker of the cluster, as the subscriber of the patterns it has interest in. The router never offers it a
 * message per matching pattern: it collects the brokers a publish must reach and {@link #forward}s it once to each,
 * with the queue groups that broker is to serve.
 */
public interface RemoteSubscriber extends Subscriber {

    /** Most brokers a cluster may have: a publish collects the brokers it reaches in one {@code long}. */
    int MAX_NODES = 64;

    /** This broker's slot, 0 to {@link #MAX_NODES} - 1, unique among the live remote subscribers. */
    int index();

    /**
     * Sends a publish whose PUB body is {@code body} to this broker, which delivers it to its plain subscriptions
     * and to one member of each of {@code groups} (the ROUTE_PUB groups field, in wire form). A route that fills
     * up tells {@code flow}. Returns false when it was not sent.
     */
    boolean forward(ByteString body, byte[] groups, PublisherFlow flow);

    @Override
    default boolean offer(int sid, ByteString body, PublisherFlow flow) {
        throw new UnsupportedOperationException("a remote broker is sent publishes with forward, not offer");
    }

    @Override
    default void expired(Subscription subscription) {
    }
}
