package io.courier.client;

/** A request reached no subscriber: the broker answered it at once with the no-responders status. */
public class NoRespondersException extends CourierException {

    private static final long serialVersionUID = 1L;

    public NoRespondersException(String message) {
        super(message);
    }
}
