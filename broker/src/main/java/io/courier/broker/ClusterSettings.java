package io.courier.broker;

import java.time.Duration;
import java.util.List;

/**
 * The {@code courier.cluster.*} settings: whether this broker joins a cluster, its address for the other brokers
 * (Pekko Artery), the port of its route links, the seed nodes, and the split brain resolver's strategy.
 */
public record ClusterSettings(
        boolean enabled,
        String host,
        int port,
        int routePort,
        List<String> seeds,
        long routeMaxPending,
        String downingStrategy,
        Duration stableAfter) {
}
