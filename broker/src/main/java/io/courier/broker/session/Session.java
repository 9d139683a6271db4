package io.courier.broker.session;

import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.Version;
import io.courier.broker.auth.Authenticator;
import io.courier.broker.auth.Grant;
import io.courier.broker.observability.Link;
import io.courier.broker.routing.LastValues;
import io.courier.broker.routing.PublisherFlow;
import io.courier.broker.routing.Router;
import io.courier.broker.routing.Subscriber;
import io.courier.broker.routing.Subscription;
import io.courier.protocol.Connect;
import io.courier.protocol.Connected;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameType;
import io.courier.protocol.Info;
import io.courier.protocol.Last;
import io.courier.protocol.UdpReady;
import io.courier.protocol.Ping;
import io.courier.protocol.Pong;
import io.courier.protocol.Subscribe;
import io.courier.protocol.Topic;
import io.courier.protocol.Unsubscribe;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The protocol state of one client link: handshake, subscriptions, heartbeat accounting, limits, the graceful drain
 * and the orderly close. It runs inside the link's inbound stream stage ({@link SessionSink}), one thread at a time,
 * so a received frame is handled where it was read and a PUB goes straight into the subscribers' outboxes.
 * Everything else that concerns the link (timers, shutdown, overflow, expiring subscriptions, a failure while
 * delivering to it) arrives as an {@link Event} through the stage's callback.
 */
final class Session implements Subscriber, Intake<Session.Event> {

    private static final Logger log = LoggerFactory.getLogger(Session.class);

    /** Something that happened outside the byte stream and that the session must act on. */
    sealed interface Event permits HeartbeatTick, FrameCheck, ConnectTimedOut, ReportDropped, SlowConsumer,
            SubscriptionExpired, Drain, FinishDrain, Evicted, DeliveryFailed, ServersChanged, UdpBound, UdpRefused,
            Authenticated, PermissionsChanged { }

    enum HeartbeatTick implements Event { INSTANCE }

    /** Time to check that a frame begun is not older than the frame timeout. */
    enum FrameCheck implements Event { INSTANCE }

    enum ConnectTimedOut implements Event { INSTANCE }

    enum ReportDropped implements Event { INSTANCE }

    /** The slow-consumer policy cuts this link, for {@code reason}. */
    record SlowConsumer(String reason) implements Event { }

    record SubscriptionExpired(Subscription subscription) implements Event { }

    /** The broker is stopping: tell the client, keep serving it until it has stopped publishing. */
    enum Drain implements Event { INSTANCE }

    /** Every client has stopped publishing (or was given long enough): flush what is queued and close. */
    enum FinishDrain implements Event { INSTANCE }

    /** Still in the handshake while newer connections need the room: close. */
    enum Evicted implements Event { INSTANCE }

    /** Delivering to this link threw on a publisher's thread. */
    record DeliveryFailed(Throwable cause) implements Event { }

    /** The servers a client may reconnect to changed (a broker joined or left the cluster). */
    record ServersChanged(List<String> servers) implements Event { }

    /** The session's UDP endpoint is bound to {@code endpoint}: confirm it to the client. */
    record UdpBound(UdpBinding binding, InetSocketAddress endpoint) implements Event { }

    /** A UDP publish of this session was refused: tell the client over TCP (at most once a second). */
    record UdpRefused(PublishIntake.Verdict verdict, String reason) implements Event { }

    /** The {@link Authenticator} decided on this session's CONNECT (on another thread, some time after it). */
    record Authenticated(Authenticator.Outcome outcome) implements Event { }

    /** A reload changed what this session's user may do, or revoked it. */
    record PermissionsChanged(Grant grant) implements Event { }

    /** What the session tells its Connection actor. */
    interface Owner {
        /** The handshake completed: heartbeat ticks are due at this interval. */
        void connected(Duration heartbeat);

        /** The session is closing: its frames are flushing and the socket will close. */
        void closing();

        /** While draining, the client said it has stopped publishing (its PING after ERR SERVER_SHUTDOWN). */
        void quiesced();

        /** The link's own handling failed with {@code cause}; it is closing, and the failure is to be reported. */
        void failed(Throwable cause);

        /** A HELLO datagram with {@code binding}'s token came from {@code from}: bind an endpoint actor to it. */
        default void udpHello(UdpBinding binding, InetSocketAddress from) {
        }
    }

    /** AUTHENTICATING: CONNECT was read and its credentials are being checked off this thread. */
    private enum State { AWAITING_CONNECT, AUTHENTICATING, CONNECTED, DRAINING, CLOSING }

    private static final ByteString PONG = ByteString.fromArrayUnsafe(FrameCodec.encode(Pong.INSTANCE));
    private static final ByteString PING = ByteString.fromArrayUnsafe(FrameCodec.encode(Ping.INSTANCE));

    private final long id;
    private final InetSocketAddress remote;
    /**
     * The verified client certificate's subject (RFC 2253 DN) when the link is TLS with a client certificate; for
     * authentication to take as the user where {@code courier.auth} says so. Empty for plain TCP.
     */
    private final Optional<String> tlsPrincipal;
    private final BrokerSettings settings;
    private final BrokerStats stats;
    private final Router router;
    private final UdpBindings udp;
    private final LastValues lastValues;
    private final List<String> servers;
    private final Outbox outbox;
    private final Owner owner;
    private final Capacity capacity;
    private final FrameSplitter splitter;
    private final FrameSplitter.FrameHandler frameHandler = this::onFrame;
    /** Made at the handshake, for the user let in. */
    private PublishIntake intake;
    private Grant grant;
    /** While AUTHENTICATING: the CONNECT, and the frames a client sent after it without waiting for CONNECTED. */
    private Connect pendingConnect;
    /** Held frames as on the wire (length prefix, then type and body), so that what they cost is what is counted. */
    private byte[] heldFrames;
    private int heldBytes;
    private boolean holdsAddressSlot;
    private boolean reportedViolation;
    private boolean reportedRate;
    private final Map<Integer, Subscription> subscriptions = new HashMap<>();
    private final Congestion flow = new Congestion();
    private final AtomicBoolean failed = new AtomicBoolean();
    private volatile Consumer<Event> events = e -> { };

    private State state = State.AWAITING_CONNECT;
    /** The protocol version agreed in the handshake. */
    private int version;
    private boolean holdsConnectionSlot;
    private boolean noEcho;
    private boolean heardSinceTick;
    private int unansweredPings;
    /** PINGs this session sent and PONGs it received: a client answers PINGs in order. */
    private long pingsSent;
    private long pongsReceived;
    /** While draining: the count of PONGs by which the client has answered the PING sent with ERR SERVER_SHUTDOWN. */
    private long drainPong = Long.MAX_VALUE;
    /** PINGs read while draining: answered when the drain finishes, after everything queued. */
    private int heldPongs;
    private String clientName = "";
    /** The session's UDP side, from UDP_OPEN on. */
    private UdpBinding udpBinding;
    private long lastUdpRefusalNanos;
    /** Whether the first drop on this link was logged: later ones are only counted and reported to the client. */
    private boolean reportedDrops;
    /** What the admin port shows of this link; written here, once per read or per change. */
    private final Link link;
    /** PUBs routed on this link (a plain counter: only this session's thread writes it). */
    private long publishes;

    Session(long id, InetSocketAddress remote, BrokerSettings settings, BrokerStats stats, Router router,
            UdpBindings udp, LastValues lastValues, List<String> servers, Outbox outbox, Owner owner,
            Capacity capacity, Optional<String> tlsPrincipal) {
        this.id = id;
        this.remote = remote;
        this.tlsPrincipal = tlsPrincipal;
        this.settings = settings;
        this.stats = stats;
        this.router = router;
        this.udp = udp;
        this.lastValues = lastValues;
        this.servers = servers;
        this.outbox = outbox;
        this.owner = owner;
        this.capacity = capacity;
        this.splitter = new FrameSplitter(settings.maxHandshakeFrame(), capacity.unfinished());
        this.link = stats.links().open(id, remote, outbox);
    }

    /** See {@link #tlsPrincipal}'s field. */
    Optional<String> tlsPrincipal() {
        return tlsPrincipal;
    }

    /** Wires the stage's callback, through which events reach this session on the stage's thread. */
    @Override
    public void attach(Consumer<Event> events) {
        this.events = events;
    }

    // ------------------------------------------------------------------ inbound (stage thread)

    @Override
    public void onBytes(ByteString bytes) {
        if (state == State.CLOSING) {
            return;
        }
        FrameCodec.Decoded.Failure failure = splitter.split(bytes, frameHandler);
        stats.bytesIn(bytes.size());
        link.read(bytes.size(), publishes);
        if (failure != null) {
            if (failure.code() == ErrorCode.MEMORY_LIMIT) {
                stats.memoryRefused();
                log.info("connection {} ({} from {}) closed: {}", id, clientName, remote, failure.reason());
            }
            String reason = failure.reason();
            if (state == State.AWAITING_CONNECT && failure.code() == ErrorCode.FRAME_TOO_LARGE) {
                reason += " (before CONNECT only a CONNECT of at most " + settings.maxHandshakeFrame()
                        + " bytes is accepted)";
            }
            protocolError(failure.code(), reason);
        }
    }

    @Override
    public void onEvent(Event event) {
        if (event instanceof HeartbeatTick) {
            onHeartbeatTick();
        } else if (event instanceof FrameCheck) {
            checkUnfinishedFrame();
        } else if (event instanceof Authenticated authenticated) {
            onAuthenticated(authenticated.outcome());
        } else if (event instanceof PermissionsChanged changed) {
            if (changed.grant() == grant && isRouting()) {
                onPermissionsChanged();
            }
        } else if (event instanceof ConnectTimedOut) {
            if (state == State.AWAITING_CONNECT || state == State.AUTHENTICATING) {
                stats.protocolError();
                close(ErrorCode.CONNECT_TIMEOUT, "no CONNECT within " + settings.connectTimeout().toMillis() + " ms");
            }
        } else if (event instanceof ReportDropped) {
            long dropped = outbox.takeDropped();
            if (dropped > 0 && !reportedDrops) {
                reportedDrops = true;
                log.info("connection {} ({} from {}) is losing messages: its outbound queue is over {} bytes and the "
                        + "slow-consumer policy is drop (the client is told how many)", id, clientName, remote,
                        settings.maxPendingBytes());
                link.slowConsumer("drop", "its outbound queue is over " + settings.maxPendingBytes() + " bytes");
            }
            if (dropped > 0 && isRouting()) {
                control(new Err(ErrorCode.MESSAGES_DROPPED, "dropped " + dropped
                        + " messages: the client reads more slowly than messages arrive"));
            }
        } else if (event instanceof SlowConsumer slow) {
            if (state != State.CLOSING) {
                stats.slowConsumer();
                int discarded = cut(ErrorCode.SLOW_CONSUMER, "slow consumer: " + slow.reason()
                        + "; queued messages were discarded");
                log.info("slow consumer {} ({} from {}) disconnected: {}; {} queued messages discarded",
                        id, clientName, remote, slow.reason(), discarded);
                link.slowConsumer("disconnect", slow.reason());
            }
        } else if (event instanceof SubscriptionExpired expired) {
            Subscription s = subscriptions.get(expired.subscription().sid());
            if (s == expired.subscription()) {
                subscriptions.remove(s.sid());
                router.unsubscribe(s);
                forget(s);
                link.subscriptions(subscriptions.size());
            }
        } else if (event instanceof Drain) {
            onDrain();
        } else if (event instanceof FinishDrain) {
            if (state == State.DRAINING) {
                finishDrain();
            }
        } else if (event instanceof Evicted) {
            if (state == State.AWAITING_CONNECT || state == State.AUTHENTICATING) {
                close(ErrorCode.TOO_MANY_CONNECTIONS, "too many connections are waiting to finish their handshake; "
                        + "this one waited longest without sending CONNECT");
            }
        } else if (event instanceof ServersChanged changed) {
            if (isRouting() && version >= 2) {
                control(new Info(changed.servers()));
            }
        } else if (event instanceof UdpBound bound) {
            if (isRouting() && bound.binding() == udpBinding) {
                control(new io.courier.protocol.UdpBound(io.courier.broker.Broker.hostPort(bound.endpoint())));
            }
        } else if (event instanceof UdpRefused refused) {
            long now = System.nanoTime();
            if (isRouting() && now - lastUdpRefusalNanos > 1_000_000_000L) {
                lastUdpRefusalNanos = now;
                control(new Err(ErrorCode.UDP_REFUSED, refused.reason()));
            }
        } else if (event instanceof DeliveryFailed) {
            if (state != State.CLOSING) {
                cut(ErrorCode.INTERNAL_ERROR, "the broker failed while delivering to this connection");
            }
        }
    }

    /** Whether the broker is stopping and this link is being drained: the stage then stops pacing its reads. */
    @Override
    public boolean isDraining() {
        return state == State.DRAINING;
    }

    /** Subscriber queues this session's last PUBs filled past their high-water mark; the stage clears it. */
    @Override
    public Set<PublisherFlow.Drain> congestion() {
        return flow.take();
    }

    /** The link is gone: nothing may be routed to it any more, and what it held goes back to the budgets. */
    @Override
    public void release() {
        router.unsubscribeAll(subscriptions.values());
        subscriptions.clear();
        closeUdp();
        splitter.release();
        if (holdsConnectionSlot) {
            holdsConnectionSlot = false;
            capacity.connections().release(1);
        }
        if (holdsAddressSlot) {
            holdsAddressSlot = false;
            capacity.perAddress().release(remote.getAddress());
        }
        capacity.auth().release(grant);
        outbox.abort(new IllegalStateException("connection " + id + " closed"));
        stats.links().closed(link);
    }

    private boolean isRouting() {
        return state == State.CONNECTED || state == State.DRAINING;
    }

    /** Handles one frame, {@code data[offset, offset + length)}; returns false once the session is closing. */
    private boolean onFrame(byte[] data, int offset, int length) {
        // Only a complete frame is a sign of life: a client trickling a frame byte by byte is not alive.
        heardSinceTick = true;
        if (state == State.AUTHENTICATING) {
            hold(data, offset, length);
            return state != State.CLOSING;
        }
        if (data[offset] == FrameType.PUB.code() && isRouting()) {
            // The one frame on the hot path: read in place, never decoded into a Publish.
            onPublish(data, offset, length);
            return state != State.CLOSING;
        }
        FrameCodec.Decoded decoded = FrameCodec.decodeFrame(ByteBuffer.wrap(data, offset, length));
        if (decoded instanceof FrameCodec.Decoded.Failure f) {
            protocolError(f.code(), f.reason());
            return false;
        }
        Frame f = ((FrameCodec.Decoded.Success) decoded).frame();
        if (state == State.AWAITING_CONNECT) {
            if (f instanceof Connect c) {
                onConnect(c);
            } else {
                protocolError(ErrorCode.NOT_CONNECTED, f.type() + " before CONNECT: send CONNECT first");
            }
            return state != State.CLOSING;
        }
        switch (f.type()) {
            case SUB -> onSubscribe((Subscribe) f);
            case UNSUB -> onUnsubscribe((Unsubscribe) f);
            case PING -> onPing();
            case PONG -> onPong();
            case UDP_OPEN -> onUdpOpen();
            case LAST -> onLast((Last) f);
            case UDP_READY, UDP_BOUND, RESYNC -> protocolError(ErrorCode.PROTOCOL_VIOLATION,
                    f.type() + " is sent by brokers only");
            case CONNECT -> protocolError(ErrorCode.PROTOCOL_VIOLATION, "CONNECT sent twice");
            case CONNECTED, MSG, INFO -> protocolError(ErrorCode.PROTOCOL_VIOLATION,
                    f.type() + " is sent by brokers only");
            case ROUTE_HELLO, ROUTE_PUB -> protocolError(ErrorCode.PROTOCOL_VIOLATION,
                    f.type() + " is sent between the brokers of a cluster only, on their route links");
            case ERR -> log.debug("client {} sent {}", clientName, f);
            case PUB -> throw new IllegalStateException("a PUB after CONNECT is handled by onPublish");
        }
        return state != State.CLOSING;
    }

    private void onConnect(Connect c) {
        if (c.version() < FrameCodec.MIN_VERSION) {
            protocolError(ErrorCode.UNSUPPORTED_VERSION, "protocol version " + c.version()
                    + " is not supported; this broker speaks versions " + FrameCodec.MIN_VERSION + " to "
                    + FrameCodec.VERSION);
            return;
        }
        Authenticator.Outcome outcome = capacity.auth().authenticate(c.user(), c.password(),
                tlsPrincipal.map(Session::commonName).orElse(null), remote.getAddress(),
                later -> events.accept(new Authenticated(later)));
        if (outcome == null) {
            state = State.AUTHENTICATING;
            pendingConnect = c;
            return;
        }
        admit(c, outcome);
    }

    /** The CN of a certificate subject (an RFC 2253 DN), or null when it has none. */
    static String commonName(String dn) {
        try {
            for (Rdn rdn : new LdapName(dn).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
        } catch (InvalidNameException e) {
            return null;
        }
        return null;
    }

    private void onAuthenticated(Authenticator.Outcome outcome) {
        if (state != State.AUTHENTICATING) {
            // Closed while the check ran (shutdown, timeout, eviction): the grant concerns no one.
            if (outcome instanceof Authenticator.Accepted a) {
                capacity.auth().release(a.grant());
            }
            return;
        }
        Connect c = pendingConnect;
        pendingConnect = null;
        admit(c, outcome);
        byte[] held = heldFrames;
        int end = heldBytes;
        heldFrames = null;
        heldBytes = 0;
        for (int at = 0; at < end && state != State.CLOSING; ) {
            int length = ByteBuffer.wrap(held, at, 4).getInt();
            if (!onFrame(held, at + 4, length)) {
                break;
            }
            at += 4 + length;
        }
    }

    /**
     * A frame sent after CONNECT without waiting for CONNECTED, while the credentials are checked: kept (a copy in
     * one buffer, at most max-handshake-frame bytes as they came on the wire) and handled once the client is let
     * in, as if it had arrived then.
     */
    private void hold(byte[] data, int offset, int length) {
        int limit = settings.maxHandshakeFrame();
        if (heldBytes + 4 + length > limit) {
            protocolError(ErrorCode.PROTOCOL_VIOLATION, "more than " + limit
                    + " bytes sent before CONNECTED: wait for CONNECTED before sending more");
            return;
        }
        if (heldFrames == null || heldFrames.length < heldBytes + 4 + length) {
            heldFrames = Arrays.copyOf(heldFrames == null ? new byte[0] : heldFrames,
                    Math.min(limit, Math.max(256, 2 * (heldBytes + 4 + length))));
        }
        ByteBuffer.wrap(heldFrames, heldBytes, 4).putInt(length);
        System.arraycopy(data, offset, heldFrames, heldBytes + 4, length);
        heldBytes += 4 + length;
    }

    /** Lets the client in (or not) as the {@link Authenticator} decided, within the connection limits. */
    private void admit(Connect c, Authenticator.Outcome outcome) {
        if (outcome instanceof Authenticator.Refused refused) {
            stats.authFailed();
            close(ErrorCode.AUTHENTICATION_FAILED, refused.reason());
            return;
        }
        Grant granted = ((Authenticator.Accepted) outcome).grant();
        if (!capacity.perAddress().tryCharge(remote.getAddress())) {
            capacity.auth().release(granted);
            stats.addressRefused();
            stats.connectionRefused();
            log.info("connection {} ({} from {}) refused: that address has {} connections, the most allowed", id,
                    c.name(), remote, capacity.perAddress().max());
            close(ErrorCode.TOO_MANY_CONNECTIONS, "the broker accepts at most " + capacity.perAddress().max()
                    + " connections from one address");
            return;
        }
        holdsAddressSlot = true;
        if (!capacity.connections().tryCharge(1)) {
            capacity.auth().release(granted);
            stats.connectionRefused();
            log.info("connection {} ({} from {}) refused: the broker accepts at most {} connections", id, c.name(),
                    remote, settings.maxConnections());
            close(ErrorCode.TOO_MANY_CONNECTIONS, "the broker accepts at most " + settings.maxConnections()
                    + " connections");
            return;
        }
        holdsConnectionSlot = true;
        grant = granted;
        grant.listen(g -> events.accept(new PermissionsChanged(g)));
        intake = new PublishIntake(settings, stats, router, lastValues, grant);
        state = State.CONNECTED;
        clientName = c.name();
        noEcho = c.noEcho();
        splitter.maxFrame(settings.maxFrame());
        Duration heartbeat = settings.heartbeatFor(c.heartbeatMillis());
        owner.connected(heartbeat);
        version = Math.min(c.version(), FrameCodec.VERSION);
        control(new Connected(version, settings.serverId(), Version.CURRENT,
                settings.maxPayload(), (int) Math.min(Integer.MAX_VALUE, heartbeat.toMillis()), servers));
        link.connected(clientName);
    }

    /**
     * A reload changed this user's permissions: subscriptions it may no longer hold end (the client is told which,
     * one ERR each); a revoked user's connection closes. Publishes are checked against the new permissions from
     * the next one on (the intake's topic cache forgets).
     */
    private void onPermissionsChanged() {
        if (grant.revoked()) {
            stats.authFailed();
            log.info("connection {} ({} from {}) closed: {} is no longer configured, or its credential changed", id,
                    clientName, remote, grant);
            close(ErrorCode.AUTHENTICATION_FAILED, "the credentials this connection logged in with were withdrawn");
            return;
        }
        for (Iterator<Subscription> it = subscriptions.values().iterator(); it.hasNext(); ) {
            Subscription s = it.next();
            if (!grant.permissions().maySubscribe(s.pattern())) {
                it.remove();
                router.unsubscribe(s);
                forget(s);
                stats.permissionDenied();
                control(new Err(ErrorCode.PERMISSION_DENIED, "SUB " + s.sid() + ": " + grant
                        + " may no longer subscribe to " + s.pattern() + "; the subscription has ended"));
            }
        }
        link.subscriptions(subscriptions.size());
    }

    /** A PUB or SUB the user may not make: the client is told; the link stays unless configured otherwise. */
    private void violation(String reason) {
        if (!reportedViolation) {
            reportedViolation = true;
            log.info("connection {} ({} from {}) refused: {} (later refusals on this connection are only counted)",
                    id, clientName, remote, reason);
        }
        if (capacity.auth().settings().disconnectOnViolation()) {
            close(ErrorCode.PERMISSION_DENIED, reason);
        } else {
            control(new Err(ErrorCode.PERMISSION_DENIED, reason));
        }
    }

    @Override
    public long takeOverRate() {
        long wait = intake == null ? 0 : intake.takeOverRate();
        if (wait > 0) {
            stats.rateLimitedOnce();
            if (!reportedRate && isRouting()) {
                reportedRate = true;
                control(new Err(ErrorCode.RATE_LIMITED, "publishing faster than " + settings.maxPublishRate()
                        + " messages a second: the broker reads this connection more slowly"));
            }
        }
        return wait;
    }

    private void onPing() {
        if (state == State.DRAINING) {
            // Answered when the drain finishes, so that the PONG comes after every message queued for this client.
            heldPongs++;
            return;
        }
        outbox.offerControl(PONG);
    }

    private void onPong() {
        unansweredPings = 0;
        pongsReceived++;
        if (state == State.DRAINING && pongsReceived == drainPong) {
            // The client answered the PING that followed ERR SERVER_SHUTDOWN: it answers after it stopped publishing.
            owner.quiesced();
        }
    }

    /**
     * Routes a PUB through the {@link PublishIntake} (a UDP publish enters there too). While draining the client is
     * not paced: it is about to stop, and its answer to the drain's PING must be read, not left waiting behind the
     * bytes flow control would hold back.
     */
    private void onPublish(byte[] data, int offset, int length) {
        PublishIntake.Verdict verdict = intake.accept(data, offset + 1, offset + length, id, noEcho,
                state == State.DRAINING ? PublisherFlow.NONE : flow);
        switch (verdict) {
            case ROUTED -> publishes++;
            case MALFORMED -> malformedPublish(ByteBuffer.wrap(data, offset, length));
            case PAYLOAD_TOO_LARGE -> protocolError(ErrorCode.PAYLOAD_TOO_LARGE, intake.reason());
            case INVALID_TOPIC -> control(new Err(ErrorCode.INVALID_TOPIC, intake.reason()));
            case PERMISSION_DENIED -> violation(intake.reason());
            case RATE_LIMITED -> throw new IllegalStateException("a TCP PUB is slowed, never refused, by the rate");
        }
    }

    /** The codec words the error of a PUB whose fields do not fit its frame. */
    private void malformedPublish(ByteBuffer frame) {
        FrameCodec.Decoded decoded = FrameCodec.decodeFrame(frame);
        if (!(decoded instanceof FrameCodec.Decoded.Failure f)) {
            throw new IllegalStateException("PublishFrame refused a PUB that FrameCodec accepts: " + decoded);
        }
        protocolError(f.code(), f.reason());
    }

    /** A refusal's reason starts with {@code SUB <sid>: } (docs/protocol.md, section 8), so clients can match it. */
    private void onSubscribe(Subscribe s) {
        String invalid = Topic.invalidPatternReason(s.pattern());
        if (invalid == null && s.hasQueueGroup()) {
            invalid = Topic.invalidTopicReason(s.queueGroup());
            if (invalid != null) {
                invalid = "queue group: " + invalid;
            }
        }
        if (invalid != null) {
            control(new Err(ErrorCode.INVALID_PATTERN, "SUB " + s.sid() + ": " + invalid));
        } else if (!grant.permissions().maySubscribe(s.pattern())) {
            stats.permissionDenied();
            violation("SUB " + s.sid() + ": " + grant + " may not subscribe to " + s.pattern());
        } else if (subscriptions.containsKey(s.sid())) {
            control(new Err(ErrorCode.DUPLICATE_SUBSCRIPTION,
                    "SUB " + s.sid() + ": subscription id already in use on this connection"));
        } else if (subscriptions.size() >= settings.maxSubscriptionsPerConnection()) {
            control(new Err(ErrorCode.TOO_MANY_SUBSCRIPTIONS, "SUB " + s.sid() + ": the limit is "
                    + settings.maxSubscriptionsPerConnection() + " subscriptions per connection"));
        } else if (s.udp() && udpBinding == null) {
            control(new Err(ErrorCode.UDP_UNAVAILABLE, "SUB " + s.sid() + ": "
                    + (udpRefusal() != null ? udpRefusal() : "a UDP subscription needs UDP_OPEN first")));
        } else {
            Subscription subscription = new Subscription(s.udp() ? udpBinding : this, s.sid(), s.pattern(),
                    s.queueGroup());
            subscriptions.put(s.sid(), subscription);
            router.subscribe(subscription);
            link.subscriptions(subscriptions.size());
        }
    }

    /** Why this session cannot have UDP, or null when it can. */
    private String udpRefusal() {
        if (version < FrameCodec.UDP_VERSION) {
            return "UDP needs protocol version " + FrameCodec.UDP_VERSION + "; this connection agreed on " + version;
        }
        if (udp == null) {
            return "UDP is off on this broker (courier.udp.enabled)";
        }
        return null;
    }

    /** UDP_OPEN: a token for this session (the same one when asked again) and where to send datagrams. */
    private void onUdpOpen() {
        String refusal = udpRefusal();
        if (refusal == null && udpBinding == null) {
            udpBinding = udp.open(id, noEcho, grant, this, owner::udpHello);
            if (udpBinding == null) {
                refusal = "the broker's UDP socket is not bound (yet)";
            }
            link.udp(udpBinding != null);
        }
        if (refusal != null) {
            control(new Err(ErrorCode.UDP_UNAVAILABLE, refusal));
            return;
        }
        control(new UdpReady(udpBinding.port(), udpBinding.maxDatagram(), udpBinding.token()));
    }

    /**
     * LAST: the last value of every kept topic the subscription follows, as RESYNC frames in topic order, ahead of
     * anything read after the LAST. At most half of max-pending is answered at once, so that one request cannot make
     * the broker queue without bound for a client; a LAST for an unknown sid is answered with nothing.
     */
    private void onLast(Last last) {
        Subscription s = subscriptions.get(last.sid());
        if (s == null) {
            return;
        }
        long budget = settings.maxPendingBytes() / 2;
        for (Map.Entry<String, ByteString> value : lastValues.matching(s.pattern())) {
            ByteString body = value.getValue();
            budget -= FrameCodec.messageSize(body.size());
            if (budget < 0) {
                break;
            }
            ByteBuffer head = ByteBuffer.allocate(FrameCodec.messageSize(0));
            FrameCodec.putMessageHead(head, FrameType.RESYNC, s.sid(), body.size());
            outbox.offerControl(ByteString.fromArrayUnsafe(head.array()).concat(body));
        }
        stats.udp().resynced();
    }

    private void closeUdp() {
        if (udpBinding != null) {
            udp.close(udpBinding);
        }
    }

    /** Subscription {@code s} left this session: a UDP one takes its datagram numbering with it. */
    private void forget(Subscription s) {
        if (udpBinding != null && s.subscriber() == udpBinding) {
            udpBinding.forget(s.sid());
        }
    }

    private void onUnsubscribe(Unsubscribe u) {
        Subscription s = subscriptions.get(u.sid());
        if (s == null) {
            return;
        }
        if (u.maxMessages() == 0) {
            subscriptions.remove(u.sid());
            router.unsubscribe(s);
            forget(s);
            link.subscriptions(subscriptions.size());
        } else {
            s.limitTo(u.maxMessages());
        }
    }

    private void onHeartbeatTick() {
        if (!isRouting()) {
            return;
        }
        if (heardSinceTick) {
            heardSinceTick = false;
            unansweredPings = 0;
            return;
        }
        if (unansweredPings >= settings.heartbeatMaxMissed()) {
            stats.protocolError();
            log.info("connection {} ({} from {}) closed: {} PINGs went unanswered", id, clientName, remote,
                    unansweredPings);
            cut(ErrorCode.STALE_CONNECTION, unansweredPings + " PINGs went unanswered");
            return;
        }
        unansweredPings++;
        ping();
    }

    /** A heartbeat PING goes ahead of any backlog: a client busy reading what was queued for it is alive. */
    private void ping() {
        pingsSent++;
        outbox.offerUrgent(PING);
    }

    private void checkUnfinishedFrame() {
        long since = splitter.unfinishedSince();
        if (state == State.CLOSING || since == 0) {
            return;
        }
        long age = System.nanoTime() - since;
        if (age > settings.frameTimeout().toNanos()) {
            stats.frameTimedOut();
            stats.protocolError();
            log.info("connection {} ({} from {}) closed: a frame begun {} ms ago is unfinished", id, clientName,
                    remote, age / 1_000_000);
            cut(ErrorCode.FRAME_TIMEOUT, "a frame begun " + age / 1_000_000 + " ms ago is still unfinished; "
                    + "a frame must be complete within " + settings.frameTimeout().toMillis() + " ms");
        }
    }

    // ------------------------------------------------------------------ draining and closing

    /**
     * The broker is stopping. A client in its handshake is closed at once; a connected one is told first (the ERR,
     * and a PING, go ahead of its backlog) and then served as before: its PUBs are still read and routed and its
     * messages still delivered, so nothing it sent before it heard is lost. Its PONG to that PING says it has
     * stopped publishing (a client answers PINGs in order, and a draining client only after it stopped).
     */
    private void onDrain() {
        if (state == State.AWAITING_CONNECT || state == State.AUTHENTICATING) {
            close(ErrorCode.SERVER_SHUTDOWN, "the broker is shutting down");
        } else if (state == State.CONNECTED) {
            state = State.DRAINING;
            pingsSent++;
            drainPong = pingsSent;
            errorSent(ErrorCode.SERVER_SHUTDOWN, "the broker is shutting down");
            link.closing(ErrorCode.SERVER_SHUTDOWN.name(), "the broker is shutting down");
            outbox.offerUrgent(ByteString.fromArrayUnsafe(FrameCodec.encode(new Err(ErrorCode.SERVER_SHUTDOWN,
                    "the broker is shutting down: stop publishing, then answer the PING that follows; messages "
                            + "queued for you come next, then the PONGs you asked for, then the broker closes"))));
            outbox.offerUrgent(PING);
        }
    }

    /** Flushes what is queued, then the PONGs the client is waiting for, and closes. */
    private void finishDrain() {
        for (int i = 0; i < heldPongs; i++) {
            outbox.offerControl(PONG);
        }
        heldPongs = 0;
        beginClose();
        outbox.complete();
    }

    private void protocolError(ErrorCode code, String reason) {
        if (code.fatal()) {
            stats.protocolError();
            close(code, reason);
        } else {
            control(new Err(code, reason));
        }
    }

    /** Tells the client why after what is already queued for it, stops routing to it, and closes once flushed. */
    private void close(ErrorCode code, String reason) {
        if (state == State.CLOSING) {
            return;
        }
        log.debug("closing connection {} ({} from {}): {} {}", id, clientName, remote, code, reason);
        link.closing(code.name(), reason);
        beginClose();
        control(new Err(code, reason));
        outbox.complete();
    }

    /**
     * Cuts the link: what is queued for it is discarded, the ERR is written next, then the socket closes. For a
     * client the broker gives up on, whose backlog would be lost with the link anyway. Returns the messages
     * discarded.
     */
    private int cut(ErrorCode code, String reason) {
        if (state == State.CLOSING) {
            return 0;
        }
        log.debug("cutting connection {} ({} from {}): {} {}", id, clientName, remote, code, reason);
        link.closing(code.name(), reason);
        beginClose();
        errorSent(code, reason);
        return outbox.cut(ByteString.fromArrayUnsafe(FrameCodec.encode(new Err(code, reason))));
    }

    private void beginClose() {
        state = State.CLOSING;
        router.unsubscribeAll(subscriptions.values());
        subscriptions.clear();
        link.subscriptions(0);
        closeUdp();
        owner.closing();
    }

    private void control(Frame frame) {
        if (frame instanceof Err err) {
            errorSent(err.code(), err.reason());
        }
        outbox.offerControl(ByteString.fromArrayUnsafe(FrameCodec.encode(frame)));
    }

    /** Every ERR sent is counted by its code (the metrics' ERR-by-code); refused credentials are a system event. */
    private void errorSent(ErrorCode code, String reason) {
        stats.errorSent(code);
        if (code == ErrorCode.AUTHENTICATION_FAILED) {
            link.authFailed(reason);
        }
    }

    // ------------------------------------------------------------------ as a subscriber (any thread)

    @Override
    public long id() {
        return id;
    }

    @Override
    public boolean offer(int sid, ByteString body, PublisherFlow flow) {
        return outbox.offerMessage(sid, body, flow);
    }

    @Override
    public void expired(Subscription subscription) {
        events.accept(new SubscriptionExpired(subscription));
    }

    @Override
    public void failed(Throwable cause) {
        if (failed.compareAndSet(false, true)) {
            owner.failed(cause);
            events.accept(new DeliveryFailed(cause));
        }
    }
}
