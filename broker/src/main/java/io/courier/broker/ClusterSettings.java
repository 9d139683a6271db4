package io.courier.broker;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code courier.cluster.*} settings: whether this broker joins a cluster, its address for the other brokers
 * (Pekko Artery), the port of its route links, the seed nodes, the split brain resolver's strategy, how long the
 * failure detector waits for a silent member's heartbeats, and the TLS
 * stores of the traffic between brokers ({@code courier.cluster.tls}: present when on; its port, plain-listener and
 * handshake-timeout are not used, client-auth is always need).
 */
public record ClusterSettings(
        boolean enabled,
        String host,
        int port,
        int routePort,
        List<String> seeds,
        long routeMaxPending,
        String downingStrategy,
        Duration stableAfter,
        Duration acceptableHeartbeatPause,
        Optional<TlsSettings> tls) {
}
