/**
 * The Java client of Courier. {@link io.courier.client.Courier#connect(io.courier.client.Options)} returns a
 * {@link io.courier.client.Connection}; the rest hangs off it.
 *
 * <h2>Threads</h2>
 * <ul>
 *   <li>Per connection, a reader ({@code courier-reader}: reads and decodes frames, answers PINGs, queues messages for
 *   their subscriptions, and reconnects when the link is lost) and a writer ({@code courier-writer}: writes everything
 *   queued since its last write in one socket write). Both are daemon threads and end when the connection closes.</li>
 *   <li>{@code publish} encodes on the caller's thread into the connection's outbound buffer under a short lock; no
 *   per-message syscall or thread handoff.</li>
 *   <li>Shared by all connections: a cached pool of daemon threads ({@code courier-dispatch-N}) that runs message
 *   handlers (serially per subscription), listener calls (serially per connection) and request completions; and one
 *   timer thread ({@code courier-timer}) for heartbeats and request timeouts. User code never runs on the reader,
 *   writer or timer thread.</li>
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
 *   with one warning logged per overflow episode.</li>
 * </ul>
 *
 * <h2>Reconnecting</h2>
 * On a lost link (read error or EOF, fatal ERR, more than {@code maxMissedPongs} unanswered PINGs) the client emits
 * DISCONNECTED and tries the servers in turn (configured ones plus those the broker advertised), waiting a random time
 * up to an exponentially growing, capped bound before each attempt. On success it sends SUB (and UNSUB with the
 * remaining count) for every active subscription, then the publishes buffered meanwhile, then PINGs for flushes that
 * were waiting, and emits RECONNECTED. When the attempts run out it closes: CLOSED with the reason, waiting requests
 * and flushes fail with {@link io.courier.client.ConnectionClosedException}.
 */
package io.courier.client;
