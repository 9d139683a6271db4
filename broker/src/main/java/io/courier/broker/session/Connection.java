package io.courier.broker.session;

import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.Router;
import io.courier.broker.routing.Subscriber;
import io.courier.broker.routing.Subscription;
import io.courier.protocol.Connect;
import io.courier.protocol.Connected;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.Pong;
import io.courier.protocol.Ping;
import io.courier.protocol.Publish;
import io.courier.protocol.Subscribe;
import io.courier.protocol.Topic;
import io.courier.protocol.Unsubscribe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.stream.typed.javadsl.ActorSink;
import org.apache.pekko.util.ByteString;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One actor per client link: the handshake, the client's subscriptions, heartbeats, the outbound queue and its
 * slow-consumer policy, and an orderly close. Inbound bytes arrive from the TCP stream with backpressure (the next
 * chunk comes after this actor acknowledges the previous one); PUBs are routed straight from here into the
 * subscribers' outboxes, with no further actor hop.
 */
public final class Connection extends AbstractBehavior<Connection.Command> {

    /** What a connection actor understands. */
    public sealed interface Command permits StreamStarted, Received, StreamCompleted, StreamFailed, HeartbeatTick,
            ConnectTimedOut, ReportDropped, SlowConsumer, SubscriptionExpired, Drain, CloseTimedOut { }

    record StreamStarted(ActorRef<Ack> ackTo) implements Command { }

    record Received(ByteString bytes, ActorRef<Ack> ackTo) implements Command { }

    enum StreamCompleted implements Command { INSTANCE }

    record StreamFailed(Throwable cause) implements Command { }

    enum HeartbeatTick implements Command { INSTANCE }

    enum ConnectTimedOut implements Command { INSTANCE }

    enum ReportDropped implements Command { INSTANCE }

    enum SlowConsumer implements Command { INSTANCE }

    record SubscriptionExpired(Subscription subscription) implements Command { }

    /** The broker is stopping: tell the client, flush, close. */
    public enum Drain implements Command { INSTANCE }

    enum CloseTimedOut implements Command { INSTANCE }

    /** Acknowledgement the inbound stream waits for before sending the next chunk. */
    enum Ack { INSTANCE }

    private enum State { AWAITING_CONNECT, CONNECTED, CLOSING }

    private static final String SERVER_VERSION = "0.1.0";

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final BrokerSettings settings;
    private final BrokerStats stats;
    private final Router router;
    private final long id;
    private final InetSocketAddress remote;
    private final List<String> servers;
    private final Outbox outbox;
    private final Link link;
    private final FrameSplitter splitter;
    private final Map<Integer, Subscription> subscriptions = new HashMap<>();

    private State state = State.AWAITING_CONNECT;
    private boolean noEcho;
    private boolean heardSinceTick;
    private int unansweredPings;
    private String clientName = "";

    public static Behavior<Command> create(Tcp.IncomingConnection incoming, long id, BrokerSettings settings,
                                           BrokerStats stats, Router router, List<String> servers,
                                           Materializer materializer) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new Connection(context, timers, incoming, id, settings, stats, router, servers, materializer)));
    }

    private Connection(ActorContext<Command> context, TimerScheduler<Command> timers,
                       Tcp.IncomingConnection incoming, long id, BrokerSettings settings, BrokerStats stats,
                       Router router, List<String> servers, Materializer materializer) {
        super(context);
        this.context = context;
        this.timers = timers;
        this.settings = settings;
        this.stats = stats;
        this.router = router;
        this.id = id;
        this.remote = incoming.remoteAddress();
        this.servers = servers;
        this.link = new Link();
        this.splitter = new FrameSplitter(settings.maxFrame());

        AtomicLong pending = new AtomicLong();
        ActorRef<Command> self = context.getSelf();
        Sink<ByteString, ?> inbound = ActorSink.<ByteString, Command, Ack>actorRefWithBackpressure(
                self, (ackTo, bytes) -> new Received(bytes, ackTo), StreamStarted::new, Ack.INSTANCE,
                StreamCompleted.INSTANCE, StreamFailed::new);
        // Frames can be tiny, so the element bound is generous; the real bound is the byte count in Outbox.
        int capacity = (int) Math.min(1 << 20, Math.max(1024, settings.maxPendingBytes() / 32));
        Source<ByteString, BoundedSourceQueue<ByteString>> outbound = Source.<ByteString>queue(capacity)
                .map(frame -> {
                    pending.addAndGet(-frame.size());
                    return frame;
                });
        BoundedSourceQueue<ByteString> queue = incoming.handleWith(
                Flow.fromSinkAndSourceCoupledMat(inbound, outbound, Keep.right()), materializer);
        this.outbox = new Outbox(queue, pending, settings.maxPendingBytes(), settings.slowConsumerPolicy(), stats,
                () -> self.tell(SlowConsumer.INSTANCE));

        timers.startSingleTimer(ConnectTimedOut.INSTANCE, settings.connectTimeout());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Received.class, this::onReceived)
                .onMessage(StreamStarted.class, m -> {
                    m.ackTo().tell(Ack.INSTANCE);
                    return this;
                })
                .onMessageEquals(StreamCompleted.INSTANCE, Behaviors::stopped)
                .onMessage(StreamFailed.class, m -> {
                    context.getLog().debug("connection {} from {} failed: {}", id, remote, m.cause().toString());
                    return Behaviors.stopped();
                })
                .onMessageEquals(HeartbeatTick.INSTANCE, this::onHeartbeatTick)
                .onMessageEquals(ConnectTimedOut.INSTANCE, () -> {
                    if (state == State.AWAITING_CONNECT) {
                        close(ErrorCode.CONNECT_TIMEOUT,
                                "no CONNECT within " + settings.connectTimeout().toMillis() + " ms");
                    }
                    return this;
                })
                .onMessageEquals(ReportDropped.INSTANCE, this::onReportDropped)
                .onMessageEquals(SlowConsumer.INSTANCE, () -> {
                    stats.slowConsumer();
                    close(ErrorCode.SLOW_CONSUMER, "outbound queue exceeded "
                            + settings.maxPendingBytes() + " bytes; the client reads too slowly");
                    return this;
                })
                .onMessage(SubscriptionExpired.class, m -> {
                    Subscription s = subscriptions.get(m.subscription().sid());
                    if (s == m.subscription()) {
                        subscriptions.remove(s.sid());
                        router.unsubscribe(s);
                    }
                    return this;
                })
                .onMessageEquals(Drain.INSTANCE, () -> {
                    close(ErrorCode.SERVER_SHUTDOWN, "the broker is shutting down");
                    return this;
                })
                .onMessageEquals(CloseTimedOut.INSTANCE, () -> {
                    outbox.abort(new IllegalStateException("close timed out"));
                    return Behaviors.stopped();
                })
                .onSignal(PostStop.class, signal -> {
                    router.unsubscribeAll(subscriptions.values());
                    subscriptions.clear();
                    outbox.abort(new IllegalStateException("connection stopped"));
                    return this;
                })
                .build();
    }

    // ------------------------------------------------------------------ inbound

    private Behavior<Command> onReceived(Received received) {
        heardSinceTick = true;
        if (state != State.CLOSING) {
            FrameSplitter.Failure failure = splitter.split(received.bytes(), this::onFrame);
            if (failure != null) {
                protocolError(failure.code(), failure.reason());
            }
        }
        received.ackTo().tell(Ack.INSTANCE);
        return this;
    }

    /** Handles one frame (type byte + body); returns false once the connection is closing. */
    private boolean onFrame(ByteString frame) {
        FrameCodec.Decoded decoded = FrameCodec.decodeFrame(frame.asByteBuffer());
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
            case PUB -> onPublish((Publish) f, frame);
            case SUB -> onSubscribe((Subscribe) f);
            case UNSUB -> onUnsubscribe((Unsubscribe) f);
            case PING -> link.control(Pong.INSTANCE);
            case PONG -> unansweredPings = 0;
            case CONNECT -> protocolError(ErrorCode.PROTOCOL_VIOLATION, "CONNECT sent twice");
            case CONNECTED, MSG -> protocolError(ErrorCode.PROTOCOL_VIOLATION,
                    f.type() + " is sent by brokers only");
            case ERR -> context.getLog().debug("client {} sent ERR: {}", clientName, f);
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
        timers.cancel(ConnectTimedOut.INSTANCE);
        Duration heartbeat = settings.heartbeatFor(c.heartbeatMillis());
        timers.startTimerWithFixedDelay(HeartbeatTick.INSTANCE, heartbeat);
        if (settings.slowConsumerPolicy() == BrokerSettings.SlowConsumerPolicy.DROP) {
            timers.startTimerWithFixedDelay(ReportDropped.INSTANCE, settings.dropReportInterval());
        }
        link.control(new Connected(Math.min(c.version(), FrameCodec.VERSION), settings.serverId(), SERVER_VERSION,
                settings.maxPayload(), (int) Math.min(Integer.MAX_VALUE, heartbeat.toMillis()), servers));
    }

    private void onPublish(Publish p, ByteString frame) {
        if (p.payload().length > settings.maxPayload()) {
            protocolError(ErrorCode.PAYLOAD_TOO_LARGE, "payload of " + p.payload().length
                    + " bytes exceeds the maximum of " + settings.maxPayload());
            return;
        }
        String invalid = Topic.invalidTopicReason(p.topic());
        if (invalid == null && p.hasReplyTo()) {
            invalid = Topic.invalidTopicReason(p.replyTo());
            if (invalid != null) {
                invalid = "reply " + invalid;
            }
        }
        if (invalid != null) {
            link.control(new Err(ErrorCode.INVALID_TOPIC, invalid));
            return;
        }
        stats.published();
        router.publish(id, noEcho, p.topic(), p.replyTo(), frame.drop(1));
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
            link.control(new Err(ErrorCode.INVALID_PATTERN, "SUB " + s.sid() + ": " + invalid));
        } else if (subscriptions.containsKey(s.sid())) {
            link.control(new Err(ErrorCode.DUPLICATE_SUBSCRIPTION,
                    "SUB " + s.sid() + ": subscription id already in use on this connection"));
        } else if (subscriptions.size() >= settings.maxSubscriptionsPerConnection()) {
            link.control(new Err(ErrorCode.TOO_MANY_SUBSCRIPTIONS, "SUB " + s.sid() + ": the limit is "
                    + settings.maxSubscriptionsPerConnection() + " subscriptions per connection"));
        } else {
            Subscription subscription = new Subscription(link, s.sid(), s.pattern(), s.queueGroup());
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

    // ------------------------------------------------------------------ timers

    private Behavior<Command> onHeartbeatTick() {
        if (state != State.CONNECTED) {
            return this;
        }
        if (heardSinceTick) {
            heardSinceTick = false;
            unansweredPings = 0;
            return this;
        }
        if (unansweredPings >= settings.heartbeatMaxMissed()) {
            close(ErrorCode.STALE_CONNECTION, unansweredPings + " PINGs went unanswered");
            return this;
        }
        unansweredPings++;
        link.control(Ping.INSTANCE);
        return this;
    }

    private Behavior<Command> onReportDropped() {
        long dropped = outbox.takeDropped();
        if (dropped > 0 && state == State.CONNECTED) {
            link.control(new Err(ErrorCode.MESSAGES_DROPPED, "dropped " + dropped
                    + " messages: the client reads more slowly than messages arrive"));
        }
        return this;
    }

    // ------------------------------------------------------------------ closing

    private void protocolError(ErrorCode code, String reason) {
        if (code.fatal()) {
            stats.protocolError();
            close(code, reason);
        } else {
            link.control(new Err(code, reason));
        }
    }

    /** Tells the client why, stops routing to it, flushes what is queued and closes; the socket ends the actor. */
    private void close(ErrorCode code, String reason) {
        if (state == State.CLOSING) {
            return;
        }
        state = State.CLOSING;
        context.getLog().debug("closing connection {} ({} from {}): {} {}", id, clientName, remote, code, reason);
        router.unsubscribeAll(subscriptions.values());
        subscriptions.clear();
        timers.cancelAll();
        link.control(new Err(code, reason));
        outbox.complete();
        timers.startSingleTimer(CloseTimedOut.INSTANCE, settings.closeTimeout());
    }

    /** This connection as seen by the router. */
    private final class Link implements Subscriber {

        @Override
        public long id() {
            return id;
        }

        @Override
        public boolean offer(ByteString frame) {
            return outbox.offerMessage(frame);
        }

        @Override
        public void expired(Subscription subscription) {
            context.getSelf().tell(new SubscriptionExpired(subscription));
        }

        void control(Frame frame) {
            outbox.offerControl(ByteString.fromArrayUnsafe(FrameCodec.encode(frame)));
        }
    }
}
