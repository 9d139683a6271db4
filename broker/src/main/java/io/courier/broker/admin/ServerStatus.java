package io.courier.broker.admin;

import java.util.Map;

/**
 * {@code /api/server}: who this broker is and what it carries now. Counters count since start.
 *
 * @param clientAddress   where clients connect (host:port)
 * @param uptimeSeconds   seconds since the broker started
 * @param clients         client connections open now
 * @param subscriptions   subscriptions routed to, local clients' and (in a cluster) other brokers' entries
 * @param cluster         whether this broker is a cluster node
 * @param udpAddress      where datagrams go (host:port), or null when UDP is off
 * @param udp             the UDP counters ({@link io.courier.broker.UdpStats}), or null when UDP is off
 * @param bytesIn         bytes read from client TCP sockets, frames of every kind
 * @param bytesOut        bytes written to client TCP sockets, frames of every kind
 * @param config          the main settings (listeners, users, limits), never a secret
 */
public record ServerStatus(String serverId, String version, String clientAddress, long uptimeSeconds, long clients,
                           long accepted, int subscriptions, long messagesIn, long messagesOut, long slowConsumers,
                           long dropped, boolean cluster, long routedIn, long routedOut, long routeDrops,
                           String udpAddress, io.courier.broker.UdpStats.Counts udp, long bytesIn,
                           long bytesOut, Map<String, Object> config) { }
