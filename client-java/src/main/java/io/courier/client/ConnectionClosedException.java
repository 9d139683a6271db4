package io.courier.client;

/** The connection is closed (by {@link Connection#close()} or because reconnecting gave up). */
public class ConnectionClosedException extends CourierException {

    private static final long serialVersionUID = 1L;

    public ConnectionClosedException(String message) {
        super(message);
    }
}
