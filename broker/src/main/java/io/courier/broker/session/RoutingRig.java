package io.courier.broker.session;

import com.typesafe.config.ConfigFactory;
import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.Router;
import io.courier.protocol.Connect;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.Publish;
import io.courier.protocol.Subscribe;
import org.apache.pekko.util.ByteString;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The broker's public seam for micro-benchmarks (bench's JMH {@code RoutingBenchmark}): the real session classes,
 * which stay package-private, wired together without sockets or a materializer, so a benchmark can push PUB frames
 * through the inbound path ({@link FrameSplitter}, decode, validation, {@link Router}, {@link Outbox}) and drain the
 * subscribers' outboxes the way {@link OutboxSource} writes a batch. Settings are the defaults of
 * {@code reference.conf}. Not for applications: it has no transport, and one thread must drive it.
 */
public final class RoutingRig {

    private static final Session.Owner NO_OWNER = new Session.Owner() {
        @Override
        public void connected(Duration heartbeat) {
        }

        @Override
        public void closing() {
        }

        @Override
        public void quiesced() {
        }

        @Override
        public void failed(Throwable cause) {
        }
    };

    private final Session publisher;
    private final Outbox[] subscriberOutboxes;
    private final ByteBuffer writeBuffer = ByteBuffer.allocate(1 << 20);

    /** A publisher and {@code subscribers} connections each subscribed to {@code pattern}, handshakes done. */
    public RoutingRig(int subscribers, String pattern) {
        BrokerSettings settings = BrokerSettings.from(ConfigFactory.load());
        BrokerStats stats = new BrokerStats();
        Router router = new Router(settings.matchCacheSize());
        Capacity capacity = Capacity.of(settings);
        Outbox.Limits limits = Outbox.Limits.of(settings);
        publisher = session(0, settings, stats, router, capacity,
                new Outbox(limits, stats, capacity.queued(), capacity.draining(), reason -> { }));
        publisher.onBytes(frame(new Connect(1, "pub", "bench", "", "", 0, false)));
        subscriberOutboxes = new Outbox[subscribers];
        for (int i = 0; i < subscribers; i++) {
            Outbox outbox = new Outbox(limits, stats, capacity.queued(), capacity.draining(), reason -> { });
            Session s = session(i + 1, settings, stats, router, capacity, outbox);
            s.onBytes(frame(new Connect(1, "sub" + i, "bench", "", "", 0, false)));
            s.onBytes(frame(new Subscribe(1, pattern, "")));
            subscriberOutboxes[i] = outbox;
        }
        drain();
    }

    /** An encoded PUB frame, length prefix included, as it would arrive from the socket. */
    public static ByteString pubFrame(String topic, int payloadSize) {
        return frame(new Publish(topic, new byte[payloadSize]));
    }

    /** Hands received bytes to the publisher's session, as its inbound stage does. */
    public void receive(ByteString bytes) {
        publisher.onBytes(bytes);
    }

    /**
     * Writes everything queued for the subscribers as their {@link OutboxSource}s would, into one reused buffer
     * instead of a new array per socket write. Returns the bytes written.
     */
    public int drain() {
        int total = 0;
        for (Outbox outbox : subscriberOutboxes) {
            total += drain(outbox);
        }
        return total;
    }

    private int drain(Outbox outbox) {
        int total = 0;
        int bytes;
        while ((bytes = outbox.nextBatch(writeBuffer.capacity())) > 0) {
            writeBuffer.clear();
            outbox.writeBatch(writeBuffer);
            outbox.demand();
            total += bytes;
        }
        return total;
    }

    private static Session session(long id, BrokerSettings settings, BrokerStats stats, Router router,
                                   Capacity capacity, Outbox outbox) {
        UdpSide off = UdpSide.off();
        return new Session(id, new InetSocketAddress(0), settings, stats, router, off.bindings(), off.lastValues(),
                List.of(), outbox, NO_OWNER, capacity, Optional.empty());
    }

    private static ByteString frame(Frame frame) {
        return ByteString.fromArrayUnsafe(FrameCodec.encode(frame));
    }
}
