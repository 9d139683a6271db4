package io.courier.client;

/** Where a {@link Connection} is in its life. */
public enum ConnectionStatus {
    /** Opening the first link; {@link Courier#connect} has not returned yet. */
    CONNECTING,
    /** A link to a broker is up and the handshake is done. */
    CONNECTED,
    /**
     * The link was lost, or its broker announced it is shutting down and the client is finishing with it (see
     * {@link Connection}); publishes are buffered while the client retries the servers.
     */
    RECONNECTING,
    /** Closed by the application or after reconnecting gave up; final. */
    CLOSED
}
