package io.courier.broker;

import io.courier.broker.auth.Authenticator;
import io.courier.broker.observability.SystemEvents;
import io.courier.broker.routing.LastValues;
import io.courier.broker.routing.Router;
import io.courier.broker.session.Capacity;
import io.courier.broker.session.UdpBindings;
import io.courier.broker.session.UdpSide;

/**
 * What one broker's connections share: its statistics, budgets and authenticator, its router, the system events
 * it publishes into that router, and its UDP side. Made once by {@link Broker#start}, and once more by the
 * {@link WarmUp}, to be thrown away: built by the same code, the warm-up's connections take the same branches and
 * call the same classes as real ones, so the JIT's compiled code still holds when real clients come.
 */
record BrokerState(BrokerStats stats, Capacity capacity, Router router, SystemEvents events, UdpSide udp) {

    static BrokerState of(BrokerSettings settings, Authenticator auth) {
        BrokerStats stats = new BrokerStats();
        Capacity capacity = Capacity.of(settings, auth);
        Router router = new Router(settings.matchCacheSize());
        SystemEvents events = new SystemEvents(router, settings.serverId());
        stats.links().listen(events);
        UdpSettings udp = settings.udp();
        return new BrokerState(stats, capacity, router, events, new UdpSide(udp.enabled()
                ? new UdpBindings(udp, stats.udp(), capacity.udpWaiting()) : null,
                new LastValues(udp.lastValuePatterns(), udp.lastValueMaxTopics(), udp.lastValueMaxBytes(),
                        stats.udp())));
    }
}
