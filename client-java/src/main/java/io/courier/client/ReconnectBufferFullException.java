package io.courier.client;

/**
 * A publish while disconnected would make the buffered publishes exceed {@link Options#reconnectBufferBytes()}.
 * The publish was not buffered; retry once the connection is back or raise the limit.
 */
public class ReconnectBufferFullException extends CourierException {

    private static final long serialVersionUID = 1L;

    public ReconnectBufferFullException(String message) {
        super(message);
    }
}
