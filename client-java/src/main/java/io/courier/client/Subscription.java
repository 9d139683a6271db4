package io.courier.client;

import java.util.Optional;

/**
 * One subscription of a {@link Connection}, created by {@link Connection#subscribe}.
 *
 * <p>Messages wait for the handler in a queue of at most {@link Options#subscriptionPendingLimit()} messages. When a
 * message arrives and the queue is full, that newest message is dropped and counted in {@link #dropped()}; a warning
 * is logged once per overflow episode (from the first drop until the queue next runs empty). Dropping never blocks
 * the connection's reader or other subscriptions; {@link ErrorListener#onSlowConsumer} hears of each episode. The
 * broker's own slow-consumer drops are reported separately, as {@code MESSAGES_DROPPED} to
 * {@link ErrorListener#onBrokerError} and {@link ConnectionListener#onServerError}.
 *
 * <p>The broker may refuse a subscription (too many on the connection, an invalid pattern, ...). It answers the SUB
 * with an ERR, and the client then ends the subscription and records why in {@link #error()}. The refusal comes
 * before the PONG of any later PING, and the client handles frames in the order they arrive: once
 * {@link Connection#flush} returns, every subscription made before it was either accepted by the broker or is
 * inactive with its {@link #error()} set.
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
     * {@link #unsubscribeAfter} count is reached (queued messages are still handed over), once the broker refused it
     * ({@link #error()}), and once the connection is closed.
     */
    boolean isActive();

    /**
     * Why the broker refused this subscription, or empty if it did not (yet: see the class comment for when it is
     * known). A refused subscription is inactive for good and is not sent again on reconnect; subscribe again to
     * retry.
     */
    Optional<SubscriptionError> error();

    /**
     * Asks the broker, over TCP, for the last value of every topic this subscription follows that the broker keeps
     * last values of ({@code courier.last-value.patterns}): they reach the handler as messages with
     * {@link Message#resync()} set, in topic order. Completes once all of them were handed to the subscription (the
     * broker answered the PING sent after the request); fails if the connection is lost first. For a UDP
     * subscription that saw a gap, or one just made.
     */
    java.util.concurrent.CompletableFuture<Void> resync();

    /** How this subscription's messages arrive. */
    Delivery delivery();
}
