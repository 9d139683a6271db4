package io.courier.broker.session;

import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.Match;
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
import io.courier.protocol.Ping;
import io.courier.protocol.Pong;
import io.courier.protocol.Subscribe;
import io.courier.protocol.Topic;
import io.courier.protocol.Unsubscribe;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The protocol state of one client link: handshake, subscriptions, heartbeat accounting, limits and the orderly
 * close. It runs inside the link's inbound stream stage ({@link SessionSink}), one thread at a time, so a received
 * frame is handled where it was read and a PUB goes straight into the subscribers' outboxes. Everything else that
 * concerns the link (timers, shutdown, overflow, expiring subscriptions) arrives as an {@link Event} through the
 * stage's callback.
 */
final class Session implements Subscriber {

    private static final Logger log = LoggerFactory.getLogger(Session.class);
    private static final String SERVER_VERSION = "0.1.0";

    /** Something that happened outside the byte stream and that the session must act on. */
    sealed interface Event permits HeartbeatTick, ConnectTimedOut, ReportDropped, SlowConsumer, SubscriptionExpired,
            Drain { }

    enum HeartbeatTick implements Event { INSTANCE }

    enum ConnectTimedOut implements Event { INSTANCE }

    enum ReportDropped implements Event { INSTANCE }

    enum SlowConsumer implements Event { INSTANCE }

    record SubscriptionExpired(Subscription subscription) implements Event { }

    enum Drain implements Event { INSTANCE }

    /** What the session tells its Connection actor. */
    interface Owner {
        /** The handshake completed: heartbeat ticks are due at this interval. */
        void connected(Duration heartbeat);

        /** The session is closing: its frames are flushing and the socket will close. */
        void closing();
    }

    private enum State { AWAITING_CONNECT, CONNECTED, CLOSING }

    private final long id;
    private final InetSocketAddress remote;
    private final BrokerSettings settings;
    private final BrokerStats stats;
    private final Router router;
    private final List<String> servers;
    private final Outbox outbox;
    private final Owner owner;
    private final FrameSplitter splitter;
    private final FrameSplitter.FrameHandler frameHandler = this::onFrame;
    private final PublishFrame publish = new PublishFrame();
    private final TopicCache topics = new TopicCache();
    private final Map<Integer, Subscription> subscriptions = new HashMap<>();
    /** The first subscriber queue that filled up while this session's PUBs were routed; see {@link #takeCongestion}. */
    private PublisherFlow.Drain congestion;
    private final PublisherFlow flow = queue -> {
        if (congestion == null) {
            congestion = queue;
        }
    };
    private volatile Consumer<Event> events = e -> { };

    private State state = State.AWAITING_CONNECT;
    private boolean noEcho;
    private boolean heardSinceTick;
    private int unansweredPings;
    private String clientName = "";

    Session(long id, InetSocketAddress remote, BrokerSettings settings, BrokerStats stats, Router router,
            List<String> servers, Outbox outbox, Owner owner) {
        this.id = id;
        this.remote = remote;
        this.settings = settings;
        this.stats = stats;
        this.router = router;
        this.servers = servers;
        this.outbox = outbox;
        this.owner = owner;
        this.splitter = new FrameSplitter(settings.maxFrame());
    }

    /** Wires the stage's callback, through which events reach this session on the stage's thread. */
    void attach(Consumer<Event> events) {
        this.events = events;
    }

    // ------------------------------------------------------------------ inbound (stage thread)

    void onBytes(ByteString bytes) {
        heardSinceTick = true;
        if (state == State.CLOSING) {
            return;
        }
        FrameCodec.Decoded.Failure failure = splitter.split(bytes, frameHandler);
        if (failure != null) {
            protocolError(failure.code(), failure.reason());
        }
    }

    void onEvent(Event event) {
        if (event instanceof HeartbeatTick) {
            onHeartbeatTick();
        } else if (event instanceof ConnectTimedOut) {
            if (state == State.AWAITING_CONNECT) {
                stats.protocolError();
                close(ErrorCode.CONNECT_TIMEOUT, "no CONNECT within " + settings.connectTimeout().toMillis() + " ms");
            }
        } else if (event instanceof ReportDropped) {
            long dropped = outbox.takeDropped();
            if (dropped > 0 && state == State.CONNECTED) {
                control(new Err(ErrorCode.MESSAGES_DROPPED, "dropped " + dropped
                        + " messages: the client reads more slowly than messages arrive"));
            }
        } else if (event instanceof SlowConsumer) {
            stats.slowConsumer();
            close(ErrorCode.SLOW_CONSUMER, "outbound queue exceeded " + settings.maxPendingBytes()
                    + " bytes; the client reads too slowly");
        } else if (event instanceof SubscriptionExpired expired) {
            Subscription s = subscriptions.get(expired.subscription().sid());
            if (s == expired.subscription()) {
                subscriptions.remove(s.sid());
                router.unsubscribe(s);
            }
        } else if (event instanceof Drain) {
            close(ErrorCode.SERVER_SHUTDOWN, "the broker is shutting down");
        }
    }

    /**
     * A subscriber queue that passed its high-water mark while the last bytes' PUBs were routed, or null; the stage
     * then waits for it to drain before reading more from this client.
     */
    PublisherFlow.Drain takeCongestion() {
        PublisherFlow.Drain d = congestion;
        congestion = null;
        return d;
    }

    /** The link is gone: nothing may be routed to it any more. */
    void release() {
        router.unsubscribeAll(subscriptions.values());
        subscriptions.clear();
        outbox.abort(new IllegalStateException("connection " + id + " closed"));
    }

    /** Handles one frame, {@code data[offset, offset + length)}; returns false once the session is closing. */
    private boolean onFrame(byte[] data, int offset, int length) {
        if (state == State.CONNECTED && data[offset] == FrameType.PUB.code()) {
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
            case PING -> control(Pong.INSTANCE);
            case PONG -> unansweredPings = 0;
            case CONNECT -> protocolError(ErrorCode.PROTOCOL_VIOLATION, "CONNECT sent twice");
            case CONNECTED, MSG -> protocolError(ErrorCode.PROTOCOL_VIOLATION,
                    f.type() + " is sent by brokers only");
            case ERR -> log.debug("client {} sent {}", clientName, f);
            case PUB -> throw new IllegalStateException("a PUB after CONNECT is handled by onPublish");
        }
        return state != State.CLOSING;
    }

    private void onConnect(Connect c) {
        if (c.version() < 1) {
            protocolError(ErrorCode.UNSUPPORTED_VERSION, "protocol version " + c.version()
                    + " is not supported; this broker speaks version " + FrameCodec.VERSION);
            return;
        }
        state = State.CONNECTED;
        clientName = c.name();
        noEcho = c.noEcho();
        Duration heartbeat = settings.heartbeatFor(c.heartbeatMillis());
        owner.connected(heartbeat);
        control(new Connected(Math.min(c.version(), FrameCodec.VERSION), settings.serverId(), SERVER_VERSION,
                settings.maxPayload(), (int) Math.min(Integer.MAX_VALUE, heartbeat.toMillis()), servers));
    }

    /**
     * Routes a PUB without decoding it: its topic comes from the session's {@link TopicCache} (decoded and validated
     * only the first time), its body is forwarded as received. The checks and their order are those of a decoded
     * PUB: layout, payload size, topic, reply topic.
     */
    private void onPublish(byte[] data, int offset, int length) {
        PublishFrame p = publish;
        if (!p.read(data, offset, length)) {
            malformedPublish(ByteBuffer.wrap(data, offset, length));
            return;
        }
        if (p.payloadLength() > settings.maxPayload()) {
            protocolError(ErrorCode.PAYLOAD_TOO_LARGE, "payload of " + p.payloadLength()
                    + " bytes exceeds the maximum of " + settings.maxPayload());
            return;
        }
        String topic = topics.find(data, p.topicOffset(), p.topicLength());
        if (topic == null) {
            topic = p.topic();
            String invalid = Topic.invalidTopicReason(topic);
            if (invalid != null) {
                control(new Err(ErrorCode.INVALID_TOPIC, invalid));
                return;
            }
            topics.remember(data, p.topicOffset(), p.topicLength(), topic);
        }
        if (p.hasReplyTo() && !p.replyToIsPlainValidTopic()) {
            String invalid = Topic.invalidTopicReason(p.replyTo());
            if (invalid != null) {
                control(new Err(ErrorCode.INVALID_TOPIC, "reply " + invalid));
                return;
            }
        }
        stats.published();
        Match match = router.publish(id, noEcho, topic, p.body(), flow);
        if (match.isEmpty() && p.hasReplyTo()) {
            router.answerNoResponders(p.replyTo());
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
        } else if (subscriptions.containsKey(s.sid())) {
            control(new Err(ErrorCode.DUPLICATE_SUBSCRIPTION,
                    "SUB " + s.sid() + ": subscription id already in use on this connection"));
        } else if (subscriptions.size() >= settings.maxSubscriptionsPerConnection()) {
            control(new Err(ErrorCode.TOO_MANY_SUBSCRIPTIONS, "SUB " + s.sid() + ": the limit is "
                    + settings.maxSubscriptionsPerConnection() + " subscriptions per connection"));
        } else {
            Subscription subscription = new Subscription(this, s.sid(), s.pattern(), s.queueGroup());
            subscriptions.put(s.sid(), subscription);
            router.subscribe(subscription);
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
        } else {
            s.limitTo(u.maxMessages());
        }
    }

    private void onHeartbeatTick() {
        if (state != State.CONNECTED) {
            return;
        }
        if (heardSinceTick) {
            heardSinceTick = false;
            unansweredPings = 0;
            return;
        }
        if (unansweredPings >= settings.heartbeatMaxMissed()) {
            stats.protocolError();
            close(ErrorCode.STALE_CONNECTION, unansweredPings + " PINGs went unanswered");
            return;
        }
        unansweredPings++;
        control(Ping.INSTANCE);
    }

    // ------------------------------------------------------------------ closing

    private void protocolError(ErrorCode code, String reason) {
        if (code.fatal()) {
            stats.protocolError();
            close(code, reason);
        } else {
            control(new Err(code, reason));
        }
    }

    /** Tells the client why, stops routing to it, flushes what is queued; the socket closes when that is written. */
    private void close(ErrorCode code, String reason) {
        if (state == State.CLOSING) {
            return;
        }
        state = State.CLOSING;
        log.debug("closing connection {} ({} from {}): {} {}", id, clientName, remote, code, reason);
        router.unsubscribeAll(subscriptions.values());
        subscriptions.clear();
        control(new Err(code, reason));
        outbox.complete();
        owner.closing();
    }

    private void control(Frame frame) {
        outbox.offerControl(ByteString.fromArrayUnsafe(FrameCodec.encode(frame)));
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
}
