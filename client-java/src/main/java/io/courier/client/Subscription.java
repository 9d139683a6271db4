package io.courier.client;

/**
 * One subscription of a {@link Connection}, created by {@link Connection#subscribe}.
 *
 * <p>Messages wait for the handler in a queue of at most {@link Options#subscriptionPendingLimit()} messages. When a
 * message arrives and the queue is full, that newest message is dropped and counted in {@link #dropped()}; a warning
 * is logged once per overflow episode (from the first drop until the queue next runs empty). Dropping never blocks
 * the connection's reader or other subscriptions. The broker's own slow-consumer drops are reported separately, as
 * {@code MESSAGES_DROPPED} to {@link ConnectionListener#onServerError}.
 */
public interface Subscription {

    /** The client-chosen subscription id, unique within the connection. */
    int sid();

    String pattern();

    /** The queue group, or the empty string for none. */
    String queueGroup();

    /**
     * Ends the subscription now. Messages still queued for the handler are discarded. Does nothing when the
     * subscription already ended.
     */
    void unsubscribe();

    /**
     * Ends the subscription after {@code n} more messages: the broker is told, and the client also stops after
     * counting {@code n} more arrivals itself, even if the broker sends more. {@code n == 0} is {@link #unsubscribe()}.
     * The limit survives reconnects (the remaining count is sent again).
     *
     * @throws IllegalArgumentException when {@code n} is negative or above 2^32-1
     */
    void unsubscribeAfter(long n);

    /** Messages handed to the handler so far (counted when the handler returns or throws). */
    long delivered();

    /** Messages dropped because the pending queue was full. */
    long dropped();

    /**
     * Whether the subscription still receives messages: false after {@link #unsubscribe()}, after the
     * {@link #unsubscribeAfter} count is reached (queued messages are still handed over), and once the connection is
     * closed.
     */
    boolean isActive();
}
