package io.courier.client;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * A client's link to Courier, kept up across broker restarts: when the link is lost the client reconnects (see
 * {@link Options}), restores its subscriptions and then sends the publishes it buffered meanwhile. Thread-safe.
 *
 * <p>Publishing is asynchronous: {@code publish} encodes the message into the outbound buffer and returns; a writer
 * thread sends the buffer in large writes, except that on an idle link the calling thread hands its frame to the
 * socket itself (a non-blocking write, so it never waits on the network). Delivery is at most once: messages the
 * socket had accepted when a link died may be lost; messages still in the client's buffer are sent on the next
 * link.
 *
 * <p>A broker that stops gracefully sends {@code ERR SERVER_SHUTDOWN} and a PING, and reads on until the client has
 * answered that PING, which it does once it has stopped publishing on that link; then nothing published is lost. The client at once stops giving that link new publishes: the status turns
 * {@link ConnectionStatus#RECONNECTING}, publishes are buffered within {@link Options#reconnectBufferBytes()} and
 * {@code flush} waits for the next link, as while reconnecting. What was already queued for the old link is still
 * written to it (a batch being written is finished), followed by one PING; the client keeps reading that link,
 * handing its messages to their subscriptions and answering its PINGs, until the broker answers the drain PING, closes
 * the link, or {@link Options#drainTimeout()} has passed since the ERR. Then the link counts as lost (DISCONNECTED)
 * and the client reconnects, re-subscribes and sends the buffered publishes, in order. What went out on the old link
 * is not sent again.
 */
public interface Connection extends AutoCloseable {

    /**
     * Publishes {@code payload} to {@code topic}. While connected and the outbound buffer is full this waits for
     * space, at most 10 s, then throws {@link CourierException}.
     *
     * @throws IllegalArgumentException when the topic is invalid or the payload exceeds the broker's max payload
     * @throws ReconnectBufferFullException while reconnecting, when the reconnect buffer has no room for it
     * @throws ConnectionClosedException after {@link #close()}
     */
    void publish(String topic, byte[] payload);

    void publish(String topic, Map<String, String> headers, byte[] payload);

    /** As {@link #publish(String, byte[])} with a reply topic ({@code null} or empty for none) and headers. */
    void publish(String topic, String replyTo, Map<String, String> headers, byte[] payload);

    /**
     * Waits until the broker has read everything published before this call (a PING whose PONG acknowledges all
     * earlier frames). Called while reconnecting, or when the link is lost before the PONG came, the wait carries
     * over to the next link and ends once the broker there has read the buffered publishes.
     *
     * <p>Every subscription made before the call has then been accepted by the broker or refused: a refused one is
     * already inactive with its {@link Subscription#error()} set (the {@link ErrorListener} may hear of it a little
     * later, on its dispatch thread).
     *
     * @throws TimeoutException when the broker has not answered within {@code timeout}
     * @throws ConnectionClosedException when the connection is or gets closed
     */
    void flush(Duration timeout) throws TimeoutException, InterruptedException;

    /**
     * Subscribes {@code handler} to topics matching {@code pattern}. While reconnecting the subscription is
     * registered and sent when the link is back.
     *
     * @throws IllegalArgumentException when the pattern is invalid
     * @throws ConnectionClosedException after {@link #close()}
     */
    Subscription subscribe(String pattern, MessageHandler handler);

    /** As {@link #subscribe(String, MessageHandler)}, sharing the messages with the other members of {@code queueGroup}. */
    Subscription subscribe(String pattern, String queueGroup, MessageHandler handler);

    /**
     * Subscribes with its messages delivered as {@code delivery} says; {@link Delivery#UDP} needs
     * {@link Options.Builder#udp}.
     */
    Subscription subscribe(String pattern, MessageHandler handler, Delivery delivery);

    /** A queue-group subscription delivered as {@code delivery} says. */
    Subscription subscribe(String pattern, String queueGroup, MessageHandler handler, Delivery delivery);

    /**
     * Publishes {@code payload} to {@code topic} as one datagram: no flow control, no retry, no ordering with TCP
     * publishes; it may be lost. Needs {@link Options.Builder#udp}. While no UDP endpoint is bound (the connection is
     * reconnecting) the publish is not sent and is counted in {@link UdpCounters#notSent()}.
     *
     * @throws IllegalArgumentException when the datagram would be larger than the broker's max datagram, or the
     *                                  topic is invalid
     * @throws IllegalStateException    when the connection was made without UDP
     */
    void publishUdp(String topic, byte[] payload);

    /** The UDP side's counters (all 0 without UDP). */
    UdpCounters udpCounters();

    /**
     * Sends a request and completes with the first reply. Completes exceptionally with {@link NoRespondersException}
     * when nothing subscribes to {@code topic}, with {@link java.util.concurrent.TimeoutException} after
     * {@code timeout}, and with the publish failure ({@link ReconnectBufferFullException},
     * {@link ConnectionClosedException}) when the request could not be sent.
     *
     * <p>The future is completed on the connection's reader thread (timeouts on a dispatch thread). Dependent stages
     * added with non-async methods ({@code thenApply}, {@code thenAccept}, {@code whenComplete}, ...) then run on the
     * reader thread: keep them short and never block in them (for example by waiting for another request), or
     * the connection stops reading. Use {@code thenApplyAsync} and the other {@code ...Async} variants for anything
     * else.
     *
     * @throws IllegalArgumentException when the topic is invalid
     */
    CompletableFuture<Message> request(String topic, byte[] payload, Duration timeout);

    CompletableFuture<Message> request(String topic, Map<String, String> headers, byte[] payload, Duration timeout);

    /** A new unique topic to use as a reply topic ({@code _INBOX.<unique>}). */
    String newInbox();

    ConnectionStatus status();

    /** The broker of the current link, or {@code null} while not connected. */
    InetSocketAddress connectedServer();

    /** What the broker said in the last CONNECTED frame. */
    ServerInfo serverInfo();

    /**
     * Waits (up to 5 s) until the broker has read what was published, then closes the connection and emits
     * CLOSED. While reconnecting, buffered publishes are discarded. Idempotent.
     */
    @Override
    void close();
}
