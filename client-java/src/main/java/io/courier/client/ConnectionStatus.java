package io.courier.client;

/** Where a {@link Connection} is in its life. */
public enum ConnectionStatus {
    /** Opening the first link; {@link Courier#connect} has not returned yet. */
    CONNECTING,
    /** A link to a broker is up and the handshake is done. */
    CONNECTED,
    /** The link was lost; publishes are buffered while the client retries the servers. */
    RECONNECTING,
    /** Closed by the application or after reconnecting gave up; final. */
    CLOSED
}
