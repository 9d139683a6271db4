package io.courier.client;

/**
 * What the connection's UDP side did so far.
 *
 * @param datagramsSent     publishes sent as datagrams
 * @param notSent           UDP publishes not sent because no UDP endpoint was bound at that moment (reconnecting)
 * @param datagramsReceived datagrams received for this connection's UDP subscriptions
 * @param gaps              datagrams the subscriptions' sequence numbers say were lost
 * @param late              datagrams that arrived after a newer one of their subscription, dropped as stale
 * @param resyncs           {@link Subscription#resync()} requests sent
 * @param resyncMessages    last values received in answer to them
 */
public record UdpCounters(long datagramsSent, long notSent, long datagramsReceived, long gaps, long late,
                          long resyncs, long resyncMessages) { }
