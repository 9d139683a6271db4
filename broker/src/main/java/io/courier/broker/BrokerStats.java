package io.courier.broker;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Broker-wide counters, cheap to bump from any thread. Read by tests and, later, the admin endpoints. */
public final class BrokerStats {

    final AtomicLong connections = new AtomicLong();
    final LongAdder accepted = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder slowConsumers = new LongAdder();
    final LongAdder dropped = new LongAdder();
    final LongAdder messagesIn = new LongAdder();
    final LongAdder protocolErrors = new LongAdder();

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
}
