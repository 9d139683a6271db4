/**
 * The Java client of Courier. {@link io.courier.client.Courier#connect(io.courier.client.Options)} returns a
 * {@link io.courier.client.Connection}; the rest hangs off it.
 *
 * <h2>Threads</h2>
 * <ul>
 *   <li>Per connection, a reader ({@code courier-reader}: reads and decodes frames, answers PINGs, hands messages to
 *   their subscriptions once per read, completes request futures, and reconnects when the link is lost) and a writer
 *   ({@code courier-writer}: writes everything queued since its last write in one socket write). Both are daemon
 *   threads and end when the connection closes. The socket is non-blocking.</li>
 *   <li>{@code publish} encodes on the caller's thread into the connection's outbound buffer under a short lock. When
 *   the link is idle (nothing queued or being written, no write in the last 20 &micro;s) the caller also writes that
 *   frame to the socket itself, with one non-blocking write, and the writer thread is not woken; what the socket does
 *   not take goes to the writer. Publishes that follow each other closely are left to the writer and share its
 *   writes. Frames always leave whole and in the order they were queued.</li>
 *   <li>Shared by all connections: a cached pool of daemon threads ({@code courier-dispatch-N}) that runs message
 *   handlers (serially per subscription) and listener calls (serially per connection); and one timer thread
 *   ({@code courier-timer}) for heartbeats and request timeouts. Message handlers and listeners never run on the
 *   reader, writer or timer thread.</li>
 *   <li>Request futures are completed on the reader thread, so a thread waiting in {@code get()} is simply woken.
 *   Dependent stages added with non-async methods ({@code thenApply}, {@code thenAccept}, {@code whenComplete}, ...)
 *   run on the reader thread when the reply arrives: they must be short and must not block (no {@code get()} on
 *   another request, no waiting for a lock held elsewhere), or the connection stops reading. Use the
 *   {@code ...Async} variants for anything else.</li>
 * </ul>
 *
 * <h2>When something fills up</h2>
 * <ul>
 *   <li>Outbound, connected: a publish waits while more than 2 MiB are unsent, up to 10 s, then throws
 *   {@link io.courier.client.CourierException}.</li>
 *   <li>Outbound, reconnecting: publishes are kept up to {@link io.courier.client.Options#reconnectBufferBytes()};
 *   beyond it a publish throws {@link io.courier.client.ReconnectBufferFullException} at once. Unsent publishes of the
 *   lost link count too (the oldest that fit are kept, the rest dropped with a warning).</li>
 *   <li>Inbound, per subscription: at most {@link io.courier.client.Options#subscriptionPendingLimit()} messages wait
 *   for the handler; further arrivals are dropped and counted in {@link io.courier.client.Subscription#dropped()},
 *   with one warning logged and one {@link io.courier.client.ErrorListener#onSlowConsumer} call per overflow
 *   episode.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * An ERR from the broker goes to {@link io.courier.client.ConnectionListener#onServerError} as it is. An ERR whose
 * reason starts with {@code SUB <sid>: } refuses that subscription: it turns inactive, its
 * {@link io.courier.client.Subscription#error()} says why, it is not re-sent on reconnect, and
 * {@link io.courier.client.ErrorListener#onSubscriptionRefused} hears of it; any other ERR reaches
 * {@link io.courier.client.ErrorListener#onBrokerError}. Handler exceptions are logged, reach
 * {@link io.courier.client.ErrorListener#onHandlerException}, and the subscription goes on.
 *
 * <h2>Reconnecting</h2>
 * On a lost link (read error or EOF, fatal ERR, more than {@code maxMissedPongs} unanswered PINGs) the client emits
 * DISCONNECTED and tries the servers in turn (configured ones plus those the broker advertised), waiting a random time
 * up to an exponentially growing, capped bound before each attempt. An attempt gives a server {@code connectTimeout}
 * (2 s) to open the socket and then {@code handshakeTimeout} (10 s) to answer CONNECT: a broker that took the socket
 * is alive, and during a reconnect storm it answers late, so hanging up on it would only make it do the same work
 * twice. On success it sends SUB (and UNSUB with the
 * remaining count) for every active subscription, then the publishes buffered meanwhile, then PINGs for flushes that
 * were waiting, and emits RECONNECTED. When the attempts run out it closes: CLOSED with the reason, waiting requests
 * and flushes fail with {@link io.courier.client.ConnectionClosedException}. {@code ERR SERVER_SHUTDOWN} is the one
 * fatal ERR after which the link is first drained (buffering new publishes, reading on until the broker has
 * answered a last PING, at most {@code connectTimeout}), so that nothing published is lost; see
 * {@link io.courier.client.Connection}.
 */
package io.courier.client;
