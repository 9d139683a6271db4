package io.courier.client;

/** Base of the unchecked exceptions the Courier client throws at run time. */
public class CourierException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CourierException(String message) {
        super(message);
    }

    public CourierException(String message, Throwable cause) {
        super(message, cause);
    }
}
