package io.courier.broker.session;

import io.courier.broker.auth.Grant;

import io.courier.broker.UdpSettings;
import io.courier.broker.UdpStats;
import io.courier.broker.routing.PublisherFlow;
import io.courier.broker.routing.Subscriber;
import io.courier.broker.routing.Subscription;
import io.courier.broker.transport.udp.UdpSocket;
import io.courier.protocol.Datagram;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;

import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * One session's UDP side: the token that proves a datagram is the session's, the endpoint (address and
 * {@link UdpEndpoint} actor) a HELLO bound, and, as the {@link Subscriber} of the session's UDP subscriptions, the
 * sending of their messages as datagrams. Each UDP subscription numbers its datagrams and keeps at most a small window
 * of them while the socket's send buffer is full, dropping the oldest: a subscriber that falls behind loses old
 * updates (and sees the gap), never the broker's memory or anyone else's messages.
 */
final class UdpBinding implements Subscriber {

    /** An endpoint's actor and its inbox: they live and die together. */
    record Endpoint(ActorRef<UdpEndpoint.Command> actor, UdpInbox inbox) { }

    private final long key;
    private final byte[] token;
    private final long sessionId;
    private final boolean noEcho;
    private final Grant grant;
    private final Subscriber session;
    private final BiConsumer<UdpBinding, InetSocketAddress> onHello;
    private final UdpSocket socket;
    private final UdpSettings settings;
    private final UdpStats stats;
    private final Budget waiting;
    private final ConcurrentHashMap<Integer, UdpWindow> windows = new ConcurrentHashMap<>();
    private volatile InetSocketAddress address;
    private volatile Endpoint endpoint;
    private volatile boolean closed;

    UdpBinding(long key, byte[] token, long sessionId, boolean noEcho, Grant grant, Subscriber session,
               BiConsumer<UdpBinding, InetSocketAddress> onHello, UdpSocket socket, UdpSettings settings,
               UdpStats stats, Budget waiting) {
        this.key = key;
        this.token = token;
        this.sessionId = sessionId;
        this.noEcho = noEcho;
        this.grant = grant;
        this.session = session;
        this.onHello = onHello;
        this.socket = socket;
        this.settings = settings;
        this.stats = stats;
        this.waiting = waiting;
    }

    /** The budget of all endpoints' waiting datagrams, which this binding's inbox draws on. */
    Budget waiting() {
        return waiting;
    }

    long key() {
        return key;
    }

    /** The secret; only its session hands it out (in UDP_READY). */
    byte[] token() {
        return token.clone();
    }

    boolean tokenIs(byte[] data, int offset) {
        return Datagram.tokenEquals(data, offset, token);
    }

    long sessionId() {
        return sessionId;
    }

    boolean noEcho() {
        return noEcho;
    }

    /** What the session's user may do: its datagrams are checked as its PUBs are. */
    Grant grant() {
        return grant;
    }

    int port() {
        return socket.localAddress().getPort();
    }

    int maxDatagram() {
        return settings.maxDatagram();
    }

    /** The bound address, or null while none is bound. */
    InetSocketAddress address() {
        return address;
    }

    /** The bound endpoint's actor and the datagrams waiting for it, or null while none is bound. */
    Endpoint endpoint() {
        return endpoint;
    }

    boolean isClosed() {
        return closed;
    }

    /** A HELLO with this binding's token arrived from {@code from}: the socket's thread hands it to the session. */
    void hello(InetSocketAddress from) {
        if (!closed) {
            onHello.accept(this, from);
        }
    }

    /** The session's actor bound {@code from} to {@code to}. */
    void bind(InetSocketAddress from, Endpoint to) {
        endpoint = to;
        address = from;
    }

    /** {@code actor} ended (idle, failed, or its connection closed): nothing is bound until the next HELLO. */
    void unbind(ActorRef<UdpEndpoint.Command> actor) {
        Endpoint e = endpoint;
        if (e != null && e.actor().equals(actor)) {
            endpoint = null;
            address = null;
        }
    }

    void close() {
        closed = true;
        address = null;
        endpoint = null;
        windows.clear();
    }

    /** Subscription {@code sid} ended: its window and numbering go with it. */
    void forget(int sid) {
        windows.remove(sid);
    }

    // ------------------------------------------------------------------ as the subscriber of UDP subscriptions

    @Override
    public long id() {
        return sessionId;
    }

    /** Sends the message now when the socket takes it, else keeps it in the window; false only if it cannot go by UDP. */
    @Override
    public boolean offer(int sid, ByteString body, PublisherFlow flow) {
        InetSocketAddress to = address;
        if (to == null) {
            stats.unboundDropped();
            return true;
        }
        if (Datagram.MSG_HEAD_BYTES + body.size() > settings.maxDatagram()) {
            stats.tooLargeDropped();
            return false;
        }
        UdpWindow w = windows.get(sid);
        if (w == null) {
            w = windows.computeIfAbsent(sid, id -> new UdpWindow(id, settings.window(), socket, this::address, stats));
        }
        w.send(body, to);
        return true;
    }

    @Override
    public void expired(Subscription subscription) {
        session.expired(subscription);
    }

    @Override
    public void failed(Throwable cause) {
        session.failed(cause);
    }
}
