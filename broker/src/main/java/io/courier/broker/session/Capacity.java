package io.courier.broker.session;

import io.courier.broker.BrokerSettings;

/**
 * The broker-wide budgets every connection draws on: bytes queued for subscribers, bytes held in frames received in
 * part, and slots for connections past their handshake. Made once per broker.
 */
public record Capacity(Budget queued, Budget unfinished, Budget connections) {

    public static Capacity of(BrokerSettings settings) {
        return new Capacity(new Budget("queued messages", settings.maxPendingTotalBytes()),
                new Budget("unfinished frames", settings.maxUnfinishedFrameBytes()),
                new Budget("connections", settings.maxConnections()));
    }
}
