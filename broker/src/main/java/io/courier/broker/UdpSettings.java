package io.courier.broker;

import java.time.Duration;
import java.util.List;

/**
 * The {@code courier.udp.*} and {@code courier.last-value.*} settings.
 *
 * @param enabled        whether the UDP listener runs
 * @param port           the UDP port; -1 for the TCP port's number (and any free port when that is 0)
 * @param maxDatagram    largest datagram, head and payload, in either direction
 * @param idleTimeout    an endpoint that sent nothing for this long is unbound (its client binds again with HELLO)
 * @param window         datagrams one UDP subscription may hold while the socket is full; the oldest goes first
 * @param socketBuffer   the socket's kernel receive and send buffer sizes asked for
 * @param maxWaitingTotal bytes of received datagrams all endpoints together may hold before their actors route
 *                       them; a datagram past it is dropped (counted as an inbound drop)
 * @param lastValuePatterns topics matching these keep their last message for LAST
 * @param lastValueMaxTopics most topics whose last message is kept; past it new topics are not kept (and counted)
 * @param lastValueMaxBytes  most bytes of last messages kept; past it a topic keeps its older value (counted)
 */
public record UdpSettings(boolean enabled, int port, int maxDatagram, Duration idleTimeout, int window,
                          int socketBuffer, long maxWaitingTotal, List<String> lastValuePatterns, int lastValueMaxTopics,
                          long lastValueMaxBytes) {

    public UdpSettings {
        lastValuePatterns = List.copyOf(lastValuePatterns);
    }

    /** The port to bind given the TCP port the broker bound. */
    public int portFor(int tcpPort) {
        return port >= 0 ? port : tcpPort;
    }
}
