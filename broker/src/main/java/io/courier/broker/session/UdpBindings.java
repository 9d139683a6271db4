package io.courier.broker.session;

import io.courier.broker.auth.Grant;

import io.courier.broker.UdpSettings;
import io.courier.broker.UdpStats;
import io.courier.broker.routing.Subscriber;
import io.courier.broker.transport.udp.UdpSocket;
import io.courier.protocol.Datagram;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The broker's UDP sessions by token, and the first stop of every datagram the socket reads. A datagram whose token
 * names no open session, that comes from another address than its session bound, that is larger than
 * {@code courier.udp.max-datagram} or that is malformed is dropped and counted, and never answered: an answer to a
 * forged source address would make the broker an amplifier.
 */
public final class UdpBindings implements UdpSocket.Receiver {

    private final UdpSettings settings;
    private final UdpStats stats;
    private final SecureRandom random = new SecureRandom();
    private final ConcurrentHashMap<Long, UdpBinding> byKey = new ConcurrentHashMap<>();
    /** Bytes of datagrams waiting for their endpoints' actors, all endpoints together. */
    private final Budget waiting;
    /** The socket thread's own reader. */
    private final Datagram reader = new Datagram();
    private volatile UdpSocket socket;

    /** {@code waiting}: the broker's budget for datagrams waiting for their endpoints' actors. */
    public UdpBindings(UdpSettings settings, UdpStats stats, Budget waiting) {
        this.settings = settings;
        this.stats = stats;
        this.waiting = waiting;
    }

    /** The socket is bound: sessions may open bindings from now on. */
    public void attach(UdpSocket socket) {
        this.socket = socket;
    }

    /** Sessions with a UDP binding now. */
    public int size() {
        return byKey.size();
    }

    /**
     * A new binding for session {@code sessionId}, with a fresh random token; null while no socket is bound (UDP
     * off, or not started yet). {@code onHello} hears HELLOs with the token, on the socket's thread.
     */
    UdpBinding open(long sessionId, boolean noEcho, Grant grant, Subscriber session,
                    BiConsumer<UdpBinding, InetSocketAddress> onHello) {
        UdpSocket s = socket;
        if (s == null) {
            return null;
        }
        while (true) {
            byte[] token = new byte[Datagram.TOKEN_BYTES];
            random.nextBytes(token);
            long key = Datagram.tokenKey(token, 0);
            UdpBinding binding = new UdpBinding(key, token, sessionId, noEcho, grant, session, onHello, s, settings,
                    stats, waiting);
            if (byKey.putIfAbsent(key, binding) == null) {
                return binding;
            }
        }
    }

    void close(UdpBinding binding) {
        binding.close();
        byKey.remove(binding.key(), binding);
    }

    @Override
    public void received(byte[] data, int length, InetSocketAddress from) {
        if (length > settings.maxDatagram()) {
            stats.oversizedDropped();
            return;
        }
        Datagram d = reader;
        Datagram.Kind kind = d.read(data, 0, length);
        if (kind != Datagram.Kind.HELLO && kind != Datagram.Kind.PUB) {
            stats.malformedDropped();
            return;
        }
        UdpBinding binding = byKey.get(Datagram.tokenKey(data, d.tokenOffset()));
        if (binding == null || !binding.tokenIs(data, d.tokenOffset())) {
            stats.unknownTokenDropped();
            return;
        }
        boolean fromBound = from.equals(binding.address());
        if (kind == Datagram.Kind.HELLO) {
            var endpoint = binding.endpoint();
            if (fromBound && endpoint != null) {
                endpoint.actor().tell(UdpEndpoint.KeepAlive.INSTANCE);
            } else {
                binding.hello(from);
            }
            return;
        }
        var endpoint = binding.endpoint();
        if (!fromBound || endpoint == null) {
            stats.wrongSourceDropped();
            return;
        }
        if (!endpoint.inbox().offer(Arrays.copyOf(data, length), endpoint.actor())) {
            stats.inboundDropped();
        }
    }
}
