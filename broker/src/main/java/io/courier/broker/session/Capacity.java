package io.courier.broker.session;

import io.courier.broker.BrokerSettings;
import io.courier.broker.auth.Authenticator;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The broker-wide budgets every connection draws on: bytes queued for subscribers, bytes held in frames received in
 * part, bytes of datagrams waiting for their UDP endpoints' actors, and slots for connections past their handshake
 * (overall and per source address); whether the broker is draining; and the {@link Authenticator} that decides who
 * gets a slot. Made once per broker.
 */
public record Capacity(Budget queued, Budget unfinished, Budget udpWaiting, Budget connections,
                       AddressSlots perAddress, AtomicBoolean draining, Authenticator auth) {

    public static Capacity of(BrokerSettings settings) {
        return of(settings, new Authenticator(settings.auth()));
    }

    /** With {@code auth} deciding who gets in instead of one made from the settings. */
    public static Capacity of(BrokerSettings settings, Authenticator auth) {
        return new Capacity(new Budget("queued messages", settings.maxPendingTotalBytes()),
                new Budget("unfinished frames", settings.maxUnfinishedFrameBytes()),
                new Budget("UDP datagrams waiting", settings.udp().maxWaitingTotal()),
                new Budget("connections", settings.maxConnections()),
                new AddressSlots(settings.maxConnectionsPerAddress()), new AtomicBoolean(),
                auth);
    }

    /**
     * The broker has begun to drain. Set before any connection hears of it, so that every queue takes what
     * unpaced publishers had in flight before any of those publishers is read again.
     */
    public boolean isDraining() {
        return draining.get();
    }
}
