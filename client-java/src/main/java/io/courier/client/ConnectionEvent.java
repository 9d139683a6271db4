package io.courier.client;

import java.net.InetSocketAddress;

/**
 * A change of a connection's state, handed to {@link ConnectionListener#onEvent}. {@code reason} says why (empty
 * for CONNECTED and RECONNECTED); {@code server} is the broker concerned, or {@code null} when there is none.
 */
public record ConnectionEvent(Type type, String reason, InetSocketAddress server) {

    public enum Type {
        /** The first link is up ({@link Courier#connect} succeeded). */
        CONNECTED,
        /** The link was lost; the client is about to reconnect (unless reconnecting is disabled). */
        DISCONNECTED,
        /** A new link is up, subscriptions are restored and buffered publishes are being sent. */
        RECONNECTED,
        /** The connection is closed for good; {@code reason} says whether by the application or by giving up. */
        CLOSED
    }

    public ConnectionEvent {
        reason = reason == null ? "" : reason;
    }
}
