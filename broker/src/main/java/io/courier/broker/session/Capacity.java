package io.courier.broker.session;

import io.courier.broker.BrokerSettings;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The broker-wide budgets every connection draws on: bytes queued for subscribers, bytes held in frames received in
 * part, and slots for connections past their handshake; and whether the broker is draining. Made once per broker.
 */
public record Capacity(Budget queued, Budget unfinished, Budget connections, AtomicBoolean draining) {

    public static Capacity of(BrokerSettings settings) {
        return new Capacity(new Budget("queued messages", settings.maxPendingTotalBytes()),
                new Budget("unfinished frames", settings.maxUnfinishedFrameBytes()),
                new Budget("connections", settings.maxConnections()), new AtomicBoolean());
    }

    /**
     * The broker has begun to drain. Set before any connection hears of it, so that every queue takes what
     * unpaced publishers had in flight before any of those publishers is read again.
     */
    public boolean isDraining() {
        return draining.get();
    }
}
