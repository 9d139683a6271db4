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
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
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

    /** Datagrams of one endpoint that may wait for its actor. */
    static final int INBOUND_LIMIT = 1024;

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
    private final ConcurrentHashMap<Integer, Window> windows = new ConcurrentHashMap<>();
    /** Datagrams told to the endpoint actor and not yet handled: bounds its mailbox. */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private volatile InetSocketAddress address;
    private volatile ActorRef<UdpEndpoint.Command> endpoint;
    private volatile boolean closed;

    UdpBinding(long key, byte[] token, long sessionId, boolean noEcho, Grant grant, Subscriber session,
               BiConsumer<UdpBinding, InetSocketAddress> onHello, UdpSocket socket, UdpSettings settings,
               UdpStats stats) {
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

    ActorRef<UdpEndpoint.Command> endpoint() {
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

    /** The session's actor bound {@code from} to {@code actor}. */
    void bind(InetSocketAddress from, ActorRef<UdpEndpoint.Command> actor) {
        endpoint = actor;
        address = from;
    }

    /** {@code actor} ended (idle, failed, or its connection closed): nothing is bound until the next HELLO. */
    void unbind(ActorRef<UdpEndpoint.Command> actor) {
        if (endpoint != null && endpoint.equals(actor)) {
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

    /**
     * The socket's thread may hand the endpoint one more datagram: false (the datagram is dropped) while
     * {@link #INBOUND_LIMIT} of them wait for the actor already, so a client sending faster than its datagrams are
     * routed cannot grow the actor's mailbox without bound (at most about 1.4 MB per endpoint).
     */
    boolean admit() {
        if (inFlight.incrementAndGet() > INBOUND_LIMIT) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    /** The endpoint actor handled one admitted datagram. */
    void handled() {
        inFlight.decrementAndGet();
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
        Window w = windows.get(sid);
        if (w == null) {
            w = windows.computeIfAbsent(sid, Window::new);
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

    /** One UDP subscription's numbering and its window of datagrams waiting for room in the socket. */
    private final class Window implements UdpSocket.Pending {
        private final int sid;
        private final ArrayDeque<ByteBuffer> waiting = new ArrayDeque<>();
        private int seq;
        private boolean scheduled;

        Window(int sid) {
            this.sid = sid;
        }

        synchronized void send(ByteString body, InetSocketAddress to) {
            ByteBuffer datagram = ByteBuffer.allocate(Datagram.MSG_HEAD_BYTES + body.size());
            Datagram.putMessageHead(datagram, sid, ++seq);
            datagram.put(body.asByteBuffer()).flip();
            if (waiting.isEmpty() && socket.trySend(datagram, to)) {
                return;
            }
            if (waiting.size() >= settings.window()) {
                waiting.poll();
                stats.windowDropped();
            }
            waiting.add(datagram);
            if (!scheduled) {
                scheduled = true;
                socket.retryLater(this);
            }
        }

        @Override
        public synchronized boolean flush() {
            InetSocketAddress to = address;
            while (to != null && !waiting.isEmpty()) {
                if (!socket.trySend(waiting.peek(), to)) {
                    return false;
                }
                waiting.poll();
            }
            waiting.clear();
            scheduled = false;
            return true;
        }
    }
}
