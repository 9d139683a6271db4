package io.courier.broker;

import io.courier.broker.observability.Links;
import io.courier.broker.observability.TopTopics;
import io.courier.protocol.ErrorCode;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Broker-wide counters, cheap to bump from any thread, and the registry of open links ({@link #links()}). Read by
 * tests, {@code /api/server} and {@code /metrics}, which reads them at scrape time: nothing here costs more per
 * message than one {@link LongAdder} increment.
 */
public final class BrokerStats {

    final AtomicLong connections = new AtomicLong();
    final LongAdder accepted = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder slowConsumers = new LongAdder();
    final LongAdder dropped = new LongAdder();
    final LongAdder messagesIn = new LongAdder();
    final LongAdder protocolErrors = new LongAdder();
    final LongAdder messagesOut = new LongAdder();
    final LongAdder discardedOnCut = new LongAdder();
    final LongAdder memoryRefusals = new LongAdder();
    final LongAdder frameTimeouts = new LongAdder();
    final LongAdder handshakeEvictions = new LongAdder();
    final LongAdder publisherPauses = new LongAdder();
    final LongAdder routedOut = new LongAdder();
    final LongAdder routedIn = new LongAdder();
    final LongAdder routeDrops = new LongAdder();
    final LongAdder interestResyncs = new LongAdder();
    final LongAdder interestViaRoute = new LongAdder();
    final LongAdder interestViaArtery = new LongAdder();
    final LongAdder publisherPauseTimeouts = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    private final LongAdder[] errorsSent = new LongAdder[ErrorCode.values().length];
    final LongAdder tlsHandshakeFailures = new LongAdder();
    private final UdpStats udp = new UdpStats();
    private final Links links = new Links();
    private final TopTopics topics = new TopTopics();

    public BrokerStats() {
        for (int i = 0; i < errorsSent.length; i++) {
            errorsSent[i] = new LongAdder();
        }
    }

    /** The client links open now, each with its own small counters. */
    public Links links() {
        return links;
    }

    /** The most published topics, from a sample of the publishes. */
    public TopTopics topics() {
        return topics;
    }

    /** ERR frames sent to clients with {@code code}, since start (fatal or not). */
    public long errorsSent(ErrorCode code) {
        return errorsSent[code.ordinal()].sum();
    }

    /** An ERR frame with {@code code} is on its way to a client. */
    public void errorSent(ErrorCode code) {
        errorsSent[code.ordinal()].increment();
    }

    /** Bytes read from client sockets (TCP), frames of every kind. */
    public long bytesIn() {
        return bytesIn.sum();
    }

    /** Bytes written to client sockets (TCP), frames of every kind. */
    public long bytesOut() {
        return bytesOut.sum();
    }

    /** {@code n} bytes were read from a client's socket (once per read, not per frame). */
    public void bytesIn(int n) {
        bytesIn.add(n);
    }

    /** {@code n} bytes were written to a client's socket (once per batch). */
    public void bytesOut(int n) {
        bytesOut.add(n);
    }

    /** The UDP listener's counters. */
    public UdpStats udp() {
        return udp;
    }

    /** Client links open now. */
    public long connections() {
        return connections.get();
    }

    /** Client links accepted since start. */
    public long accepted() {
        return accepted.sum();
    }

    /** Links refused at accept (max connections or shutting down). */
    public long refused() {
        return refused.sum();
    }

    /** Links whose handling failed unexpectedly and were stopped. */
    public long failed() {
        return failed.sum();
    }

    /** Links closed by the disconnect slow-consumer policy. */
    public long slowConsumers() {
        return slowConsumers.sum();
    }

    /** Messages dropped by the drop slow-consumer policy. */
    public long dropped() {
        return dropped.sum();
    }

    /** PUB frames accepted. */
    public long messagesIn() {
        return messagesIn.sum();
    }

    /** Links closed because they broke the protocol (bad frames, limits, timeouts). */
    public long protocolErrors() {
        return protocolErrors.sum();
    }

    /** MSG frames written to subscribers' sockets. */
    public long messagesOut() {
        return messagesOut.sum();
    }

    /** Queued messages discarded because the slow-consumer policy cut their link. */
    public long discardedOnCut() {
        return discardedOnCut.sum();
    }

    /** Links closed because the broker-wide budget for unfinished frames was used up (ERR MEMORY_LIMIT). */
    public long memoryRefusals() {
        return memoryRefusals.sum();
    }

    /** Links closed because a frame was not finished within the frame timeout (ERR FRAME_TIMEOUT). */
    public long frameTimeouts() {
        return frameTimeouts.sum();
    }

    /** Handshaking connections closed to make room for newer ones (handshake budget full). */
    public long handshakeEvictions() {
        return handshakeEvictions.sum();
    }

    /** Times a publisher stopped reading because subscriber queues it filled passed their high-water mark. */
    public long publisherPauses() {
        return publisherPauses.sum();
    }

    /** Publisher pauses that ran out (publisher-pause) before the queues drained. */
    public long publisherPauseTimeouts() {
        return publisherPauseTimeouts.sum();
    }

    /** Publishes forwarded to other brokers of the cluster (one per broker reached). */
    public long routedOut() {
        return routedOut.sum();
    }

    /** Publishes other brokers forwarded here. */
    public long routedIn() {
        return routedIn.sum();
    }

    /** Publishes that could not be forwarded: no route to that broker, or its route queue full. */
    public long routeDrops() {
        return routeDrops.sum();
    }

    /**
     * Times this broker asked another for all of its interest again, having found a gap in the numbered changes
     * (a lost message between the two): zero on a healthy cluster.
     */
    public long interestResyncs() {
        return interestResyncs.sum();
    }

    public void interestResyncAsked() {
        interestResyncs.increment();
    }

    /** Batches of other brokers' interest changes received on their route links. */
    public long interestViaRoute() {
        return interestViaRoute.sum();
    }

    /** Batches of other brokers' interest changes received over Artery (snapshots' first batch, routes down). */
    public long interestViaArtery() {
        return interestViaArtery.sum();
    }

    public void interestReceived(boolean viaRoute) {
        (viaRoute ? interestViaRoute : interestViaArtery).increment();
    }

    public void countRoutedOut() {
        routedOut.increment();
    }

    public void countRoutedIn() {
        routedIn.increment();
    }

    public void routeDropped() {
        routeDrops.increment();
    }

    public void publisherPaused() {
        publisherPauses.increment();
    }

    public void publisherPauseTimedOut() {
        publisherPauseTimeouts.increment();
    }

    public void messagesOut(int n) {
        if (n > 0) {
            messagesOut.add(n);
        }
    }

    public void discardedOnCut(int n) {
        discardedOnCut.add(n);
    }

    public void memoryRefused() {
        memoryRefusals.increment();
    }

    public void frameTimedOut() {
        frameTimeouts.increment();
    }

    /** TLS connections closed before their handshake finished: failed, refused, timed out, or plaintext. */
    public long tlsHandshakeFailures() {
        return tlsHandshakeFailures.sum();
    }

    public void tlsHandshakeFailed() {
        tlsHandshakeFailures.increment();
    }

    public void handshakeEvicted() {
        handshakeEvictions.increment();
    }

    public void connectionOpened() {
        connections.incrementAndGet();
        accepted.increment();
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }

    public void connectionRefused() {
        refused.increment();
    }

    public void connectionFailed() {
        failed.increment();
    }

    public void slowConsumer() {
        slowConsumers.increment();
    }

    public void droppedOne() {
        dropped.increment();
    }

    public void published() {
        messagesIn.increment();
    }

    public void protocolError() {
        protocolErrors.increment();
    }

    // ------------------------------------------------------------------ security (courier.auth, limits)

    final LongAdder authFailures = new LongAdder();
    final LongAdder permissionDenials = new LongAdder();
    final LongAdder rateLimited = new LongAdder();
    final LongAdder addressRefusals = new LongAdder();

    /** Logins refused (bad or missing credentials, an address over its failure limit, a busy checker). */
    public long authFailures() {
        return authFailures.sum();
    }

    /** PUBs, SUBs and reply topics refused by a user's permissions, and subscriptions withdrawn by a reload. */
    public long permissionDenials() {
        return permissionDenials.sum();
    }

    /** Times a publisher over courier.limits.max-publish-rate was read more slowly (TCP) or lost a datagram (UDP). */
    public long rateLimited() {
        return rateLimited.sum();
    }

    /** Connections refused because their source address had courier.limits.max-connections-per-address. */
    public long addressRefusals() {
        return addressRefusals.sum();
    }

    public void authFailed() {
        authFailures.increment();
    }

    public void permissionDenied() {
        permissionDenials.increment();
    }

    public void rateLimitedOnce() {
        rateLimited.increment();
    }

    public void addressRefused() {
        addressRefusals.increment();
    }
}
