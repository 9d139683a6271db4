package io.courier.client;

import io.courier.protocol.ErrorCode;

/**
 * Hears what goes wrong on a connection, sorted by what it concerns, so that the application can act on it: a
 * subscription the broker refused, an error the broker reported, messages the client dropped because a handler
 * fell behind, a handler that threw. Set with {@link Options.Builder#errorListener}. Each event is heard once, by one
 * method. Every method does nothing by default: implement the ones you need.
 *
 * <p>Calls come one at a time, in order, on a dispatch thread (never the reader thread), in one sequence with the
 * {@link ConnectionListener}'s calls, so a listener may call back into the connection. A listener that throws is
 * logged and ignored. The client still logs these events itself.
 *
 * <p>It complements {@link ConnectionListener} rather than replacing it: that one follows the connection's life cycle
 * and gets every ERR frame raw, as it arrives ({@link ConnectionListener#onServerError}, refusals of SUBs included),
 * which existing callers rely on; this one says which subscription an error is about and also hears of the client's
 * own troubles, which have no ERR frame.
 */
public interface ErrorListener {

    /**
     * The broker refused {@code subscription} (an ERR whose reason starts with {@code SUB <sid>: }). It is no longer
     * active, receives nothing and is not sent again on reconnect; {@link Subscription#error()} returns
     * {@code error}. Heard instead of {@link #onBrokerError}.
     */
    default void onSubscriptionRefused(Subscription subscription, SubscriptionError error) {
    }

    /**
     * The broker sent an ERR that is not about one subscription, for example {@link ErrorCode#MESSAGES_DROPPED} (the
     * broker dropped messages for this connection), {@link ErrorCode#SLOW_CONSUMER} or
     * {@link ErrorCode#SERVER_SHUTDOWN}; or it refused a reconnect attempt's CONNECT. After a fatal code the link ends
     * and the client reconnects (see {@link Connection}).
     */
    default void onBrokerError(ErrorCode code, String reason) {
    }

    /**
     * {@code subscription} started dropping messages because {@link Options#subscriptionPendingLimit()} messages
     * already wait for its handler. Heard once per overflow episode (from the first drop until the queue next runs
     * empty); {@code dropped} is the subscription's total of dropped messages at that first drop. Read
     * {@link Subscription#dropped()} for the running count.
     */
    default void onSlowConsumer(Subscription subscription, long dropped) {
    }

    /** The handler of {@code subscription} threw {@code exception} on {@code message}; the next message is handled. */
    default void onHandlerException(Subscription subscription, Message message, Exception exception) {
    }
}
