package io.courier.broker.session;

import io.courier.broker.BrokerStats;
import io.courier.broker.routing.PublisherFlow;
import io.courier.broker.routing.RemoteSubscriber;
import io.courier.broker.routing.Subscription;
import io.courier.protocol.FrameCodec;
import io.courier.broker.transport.tcp.IoLoops;
import io.courier.protocol.RouteHello;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLEngine;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;

/**
 * The sending end of a route to another broker of the cluster: that broker as a subscriber of the patterns it wants
 * (its {@link Subscription}s in the index are this object's), and the TCP link publishes go over, one per broker and
 * direction, so each publisher's messages stay in order. The link drains an {@link Outbox} like a client's, paced,
 * but patient: publishers wait for it however long it takes (docs/architecture.md, "Between brokers"). While the
 * link is down or the broker unreachable, publishes to it are dropped and counted.
 */
public final class RouteLink implements RemoteSubscriber {

    private static final Logger log = LoggerFactory.getLogger(RouteLink.class);
    /** Another broker answers at once or not at all: its route port is bound before it joins. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final int index;
    private final String nodeId;
    private final long routeMaxPending;
    private final BrokerStats stats;
    private final Capacity capacity;
    /** Makes the client TLS engine for a link to host and port when the cluster runs TLS; null: plain TCP. */
    private final BiFunction<String, Integer, SSLEngine> tls;
    /** Where a plain link runs. */
    private final IoLoops loops;
    private volatile Outbox outbox;
    /** The outbox whose connection is made (not merely being made): what is queued there now goes out. */
    private volatile Outbox established;

    public RouteLink(int index, String nodeId, long routeMaxPending, BrokerStats stats, Capacity capacity,
                     BiFunction<String, Integer, SSLEngine> tls, IoLoops loops) {
        this.tls = tls;
        this.loops = loops;
        this.index = index;
        this.nodeId = nodeId;
        this.routeMaxPending = routeMaxPending;
        this.stats = stats;
        this.capacity = capacity;
    }

    public String nodeId() {
        return nodeId;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public long id() {
        return -1 - index;
    }

    @Override
    public boolean forward(ByteString body, byte[] groups, PublisherFlow flow) {
        Outbox o = outbox;
        if (o != null && o.offerRouted(groups, body, flow)) {
            stats.countRoutedOut();
            return true;
        }
        stats.routeDropped();
        return false;
    }

    /**
     * Queues an encoded ROUTE_INTEREST on the link, beside the publishes (bounded by its sender's window, not by the
     * link's limit). Returns false when the link is down: the caller sends it another way.
     */
    public boolean sendInterest(ByteString frame) {
        Outbox o = established;
        return o != null && o == outbox && o.offerUncapped(frame);
    }

    @Override
    public void failed(Throwable cause) {
        log.error("forwarding to {} failed", nodeId, cause);
    }

    /**
     * Opens the link to {@code host:port}, introducing this broker with {@code hello}; runs {@code up} once the
     * connection is made; the stage completes when the link ends, for whatever reason (then {@link #connect} may
     * be called again).
     */
    public CompletionStage<Done> connect(ActorSystem<?> system, String host, int port, RouteHello hello,
                                         Runnable up) {
        AtomicBoolean ended = new AtomicBoolean();
        Outbox o = new Outbox(Outbox.Limits.route(routeMaxPending), stats, capacity.queued(), capacity.draining(),
                reason -> log.warn("route to {}: {}", nodeId, reason));
        o.offerControl(ByteString.fromArrayUnsafe(FrameCodec.encode(hello)));
        Runnable made = () -> {
            established = o;
            up.run();
        };
        CompletionStage<Done> done;
        if (tls == null) {
            // The other broker writes nothing on it: what it reads is ignored, its end is the link's.
            CompletableFuture<Done> linkEnded = new CompletableFuture<>();
            ChannelLink.connect(new InetSocketAddress(host, port), loops.next(), CONNECT_TIMEOUT)
                    .whenComplete((link, failure) -> {
                        if (failure != null) {
                            linkEnded.completeExceptionally(failure);
                        } else {
                            made.run();
                            link.run(Intake.ignoring(), o, stats, Duration.ZERO,
                                    f -> linkEnded.complete(Done.getInstance()), null);
                        }
                    });
            done = linkEnded;
        } else {
            Source<ByteString, ?> out = Source.fromGraph(new OutboxSource(o, StreamIncoming.MAX_WRITE_BATCH));
            var connection = Tcp.get(system).outgoingConnectionWithTls(new InetSocketAddress(host, port),
                            () -> tls.apply(host, port))
                    .joinMat(Flow.fromSinkAndSourceCoupledMat(Sink.ignore(), out, Keep.left()), Keep.both())
                    .run(Materializer.matFromSystem(system));
            connection.first().thenRun(made);
            done = connection.second();
        }
        outbox = o;
        return done.whenComplete((d, e) -> {
            if (ended.compareAndSet(false, true)) {
                if (outbox == o) {
                    outbox = null;
                }
                if (established == o) {
                    established = null;
                }
                o.abort(new IllegalStateException("route to " + nodeId + " ended"));
            }
        });
    }

    /** Cuts the link now (the broker left or is unreachable); what was queued is lost, publishers waiting resume. */
    public void disconnect() {
        Outbox o = outbox;
        outbox = null;
        if (o != null) {
            o.abort(new IllegalStateException("route to " + nodeId + " cut"));
        }
    }

    /** Whether a link is up or being made (publishes for it are queued, not dropped). */
    public boolean isConnected() {
        return outbox != null;
    }

    /** Whether the link is up: its connection made, not yet ended. */
    public boolean isEstablished() {
        Outbox o = established;
        return o != null && o == outbox;
    }

    @Override
    public String toString() {
        return "RouteLink[" + index + ", " + nodeId + "]";
    }
}
