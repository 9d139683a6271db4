package io.courier.broker.session;

import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.Match;
import io.courier.broker.routing.PublisherFlow;
import io.courier.broker.routing.Router;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameType;
import io.courier.protocol.RouteHello;
import io.courier.protocol.RouteInterest;
import io.courier.protocol.Topic;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The receiving end of a route link: another broker of the cluster forwarding publishes here (docs/protocol.md,
 * section 14). It reads like a client's {@link Session} reads PUBs (the same splitter, the same in-place reader of
 * the delivery, the same topic cache), but delivers to local subscriptions only ({@link Router#deliverRouted}), so
 * a forwarded message never travels on. Local queues that fill up pause it like any publisher, and TCP then slows
 * the other broker's route, which pauses its publishers: the flow control spans the cluster. The other broker's
 * interest changes come this way too while the link is up, handed to {@link Members} as they are read.
 */
public final class RouteSession implements Intake<RouteSession.Event> {

    private static final Logger log = LoggerFactory.getLogger(RouteSession.class);

    /** A route has no events of its own (no timers, no drain: other brokers leave through the cluster). */
    public enum Event { NONE }

    /** The cluster as a route sees it: who may open one, and where the interest that comes over one goes. */
    public interface Members {
        /** Routes are accepted from the current members of the cluster, each in its current incarnation. */
        boolean accepts(String nodeId, long incarnation);

        /** {@code nodeId}'s interest changes, read on its route (any thread; must not block). */
        void interest(String nodeId, RouteInterest batch);
    }

    private enum State { AWAITING_HELLO, OPEN, CLOSED }

    /**
     * The route links of one broker that have not said ROUTE_HELLO yet, at most {@code max}: past it the one that
     * waited longest is closed, as the client port does with handshakes. Another broker says hello in its first
     * frame, so a flood of strangers on the route port cannot keep a member's link out.
     */
    public static final class Strangers {
        private final int max;
        private final ArrayDeque<RouteSession> waiting = new ArrayDeque<>();

        public Strangers(int max) {
            this.max = max;
        }

        void add(RouteSession session) {
            RouteSession oldest = null;
            synchronized (this) {
                waiting.addLast(session);
                if (waiting.size() > max) {
                    oldest = waiting.pollFirst();
                }
            }
            if (oldest != null) {
                oldest.closeIfAwaitingHello("more than " + max + " route links wait for their ROUTE_HELLO and it "
                        + "waited longest");
            }
        }

        synchronized void remove(RouteSession session) {
            waiting.remove(session);
        }
    }

    private final String remote;
    private final Router router;
    private final BrokerStats stats;
    private final BrokerSettings settings;
    private final Members members;
    private final Runnable close;
    private final FrameSplitter splitter;
    private final FrameSplitter.FrameHandler frameHandler = this::onFrame;
    private final PublishFrame publish = new PublishFrame();
    private final TopicCache topics = new TopicCache();
    private final List<String> groups = new ArrayList<>();
    private final Congestion flow = new Congestion();
    /** Written on the link's thread; read by the hello deadline's too. */
    private volatile State state = State.AWAITING_HELLO;
    /** Where this link waits until its ROUTE_HELLO; null when nobody counts (a session made by hand). */
    private Strangers strangers;
    private String nodeId = "?";

    /**
     * @param remote the calling socket's address, for logs
     * @param close  ends the link (the caller's kill switch)
     */
    public RouteSession(String remote, Router router, BrokerStats stats, BrokerSettings settings, Capacity capacity,
                        Members members, Runnable close) {
        this.remote = remote;
        this.router = router;
        this.stats = stats;
        this.settings = settings;
        this.members = members;
        this.close = close;
        // A forwarded PUB carries its groups besides the PUB body, which max-frame already bounds; an interest batch
        // has its own bound, whatever the clients' max-frame.
        this.splitter = new FrameSplitter(Math.max(settings.maxFrame(), RouteInterest.MAX_FRAME_BYTES)
                + FrameCodec.MAX_STRING_BYTES, capacity.unfinished());
    }

    /**
     * Serves an accepted route connection: reads it with a {@link RouteSession} in a {@link LinkReader}; the link
     * writes nothing back (its outbox stays empty and only serves to cut it). Ends when the other broker closes it or
     * the session refuses what it reads.
     */
    public static void accept(Incoming incoming, Router router, BrokerStats stats, BrokerSettings settings,
                              Capacity capacity, Members members, Strangers strangers, Materializer materializer) {
        String remote = incoming.remoteAddress().toString();
        Outbox none = new Outbox(Outbox.Limits.route(settings.cluster().routeMaxPending()), stats, capacity.queued(),
                capacity.draining(), reason -> { });
        RouteSession session = new RouteSession(remote, router, stats, settings, capacity, members,
                () -> none.abort(new IllegalStateException("route from " + remote + " refused")));
        // A stranger on the route port that never says who it is must not hold a socket: the same deadline as a
        // client's CONNECT.
        session.strangers = strangers;
        strangers.add(session);
        var system = materializer.system();
        system.scheduler().scheduleOnce(settings.connectTimeout(), () -> session.closeIfAwaitingHello(
                "no ROUTE_HELLO within " + settings.connectTimeout().toMillis() + " ms (courier.connect-timeout)"),
                system.dispatcher());
        incoming.run(session, none, stats, settings.publisherPause(), failure -> {
            if (failure != null) {
                log.error("route from {} failed", session.nodeId(), failure);
            }
        }, materializer);
    }

    /** Closes the link if its ROUTE_HELLO has not come yet (any thread: the link's end is its own to note). */
    private void closeIfAwaitingHello(String why) {
        if (state == State.AWAITING_HELLO) {
            log.warn("route from {} closed: {}", remote, why);
            close.run();
        }
    }

    /** The link no longer waits for its hello (it said it, or it ended). */
    private void stopWaiting() {
        if (strangers != null) {
            strangers.remove(this);
            strangers = null;
        }
    }

    /** The node at the other end, once its ROUTE_HELLO was accepted. */
    public String nodeId() {
        return nodeId;
    }

    @Override
    public void attach(Consumer<Event> events) {
        // Nothing to wire: a route has no events but the frame check, which the link's owner sends.
    }

    @Override
    public void onBytes(ByteString bytes) {
        if (state == State.CLOSED) {
            return;
        }
        FrameCodec.Decoded.Failure failure = splitter.split(bytes, frameHandler);
        if (failure != null) {
            refuse(failure.code() + ": " + failure.reason());
        }
    }

    @Override
    public void onEvent(Event event) {
        // No events: a route's peer is a member of the cluster, checked at its ROUTE_HELLO.
    }

    @Override
    public Set<PublisherFlow.Drain> congestion() {
        return flow.take();
    }

    @Override
    public boolean isDraining() {
        return false;
    }

    @Override
    public void release() {
        state = State.CLOSED;
        stopWaiting();
        splitter.release();
    }

    private boolean onFrame(byte[] data, int offset, int length) {
        int type = data[offset] & 0xFF;
        if (state == State.OPEN && type == FrameType.ROUTE_PUB.code()) {
            onRoutedPublish(data, offset, length);
            return state != State.CLOSED;
        }
        if (state == State.OPEN && type == FrameType.ROUTE_INTEREST.code()) {
            FrameCodec.Decoded decoded = FrameCodec.decodeFrame(ByteBuffer.wrap(data, offset, length));
            if (decoded instanceof FrameCodec.Decoded.Success s && s.frame() instanceof RouteInterest batch) {
                members.interest(nodeId, batch);
                return true;
            }
            refuse("malformed ROUTE_INTEREST: " + decoded);
            return false;
        }
        if (state == State.AWAITING_HELLO && type == FrameType.ROUTE_HELLO.code()) {
            FrameCodec.Decoded decoded = FrameCodec.decodeFrame(ByteBuffer.wrap(data, offset, length));
            if (decoded instanceof FrameCodec.Decoded.Success s && s.frame() instanceof RouteHello hello
                    && members.accepts(hello.nodeId(), hello.incarnation())) {
                nodeId = hello.nodeId();
                state = State.OPEN;
                stopWaiting();
                log.debug("route from {} ({}) open", nodeId, remote);
                return true;
            }
            refuse("ROUTE_HELLO from a node that is not a current member of the cluster: " + decoded);
            return false;
        }
        if (type == FrameType.PING.code()) {
            return true;
        }
        refuse("frame type 0x" + Integer.toHexString(type) + " is not allowed on a route " + (state
                == State.AWAITING_HELLO ? "before ROUTE_HELLO" : "link"));
        return false;
    }

    private void onRoutedPublish(byte[] data, int offset, int length) {
        groups.clear();
        int end = offset + length;
        int delivery = FrameCodec.readRouteGroups(data, offset + 1, end, groups);
        if (delivery < 0 || !publish.readDelivery(data, delivery, end)) {
            FrameCodec.Decoded decoded = FrameCodec.decodeFrame(ByteBuffer.wrap(data, offset, length));
            refuse("malformed ROUTE_PUB: " + decoded);
            return;
        }
        String topic = topics.find(data, publish.topicOffset(), publish.topicLength());
        if (topic == null) {
            topic = publish.topic();
            if (Topic.invalidTopicReason(topic) != null) {
                refuse("ROUTE_PUB with an invalid topic: " + topic);
                return;
            }
            topics.remember(data, publish.topicOffset(), publish.topicLength(), topic);
        }
        stats.countRoutedIn();
        Match match = router.match(topic);
        if (!match.isEmptyLocally()) {
            router.deliverRouted(match, groups, publish.retainableBody(), flow);
        }
    }

    private void refuse(String reason) {
        if (state == State.CLOSED) {
            return;
        }
        log.warn("route from {} ({}) closed: {}", nodeId, remote, reason);
        state = State.CLOSED;
        close.run();
    }
}
