package io.courier.bench.jmh;

import io.courier.broker.session.RoutingRig;
import org.apache.pekko.util.ByteString;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The broker's hot path for one routed message, through its real classes: a PUB frame as received from the socket
 * goes through the publisher's session (frame splitting, decoding, topic validation), the router's match and every
 * subscriber's outbox, and each subscriber's outbox is then written out the way its OutboxSource writes a socket
 * batch (into a reused buffer: the per-write array of the real stage is not counted here).
 *
 * <p>{@link #routeOneMessage} writes every message on its own (the worst case for the per-write costs);
 * {@link #routeBurst} is the broker under load: a burst of {@value #BURST} PUBs arriving in two socket reads (one
 * frame straddling them), then one write per subscriber. Both report per message.
 *
 * <p>Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is the garbage per routed message, which the broker aims
 * to keep at the message's own buffer.
 * <pre>java -jar bench/target/courier-bench.jar jmh -prof gc RoutingBenchmark -f 1 -wi 3 -i 5</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RoutingBenchmark {

    /** PUBs per burst. */
    public static final int BURST = 32;

    /** Connections subscribed to the published topic. */
    @Param({"1", "10"})
    public int subscribers;

    /** Payload bytes per message. */
    @Param({"128"})
    public int payload;

    private RoutingRig rig;
    private ByteString pub;
    private ByteString burstFirstRead;
    private ByteString burstSecondRead;

    @Setup
    public void setUp() {
        rig = new RoutingRig(subscribers, "orders.eu.created");
        pub = RoutingRig.pubFrame("orders.eu.created", payload);
        ByteString burst = ByteString.emptyByteString();
        for (int i = 0; i < BURST; i++) {
            burst = burst.concat(pub);
        }
        // Cut mid-frame, as socket reads are: one frame is completed from two reads.
        int cut = burst.size() / 2 + pub.size() / 3;
        burstFirstRead = burst.slice(0, cut).compact();
        burstSecondRead = burst.slice(cut, burst.size()).compact();
        int expected = subscribers * (pub.size() + 4);
        if (routeOneMessage() != expected || routeBurst() != BURST * expected) {
            throw new IllegalStateException("the rig did not deliver one MSG per subscriber");
        }
    }

    /** One PUB in, one MSG out per subscriber; returns the bytes written so nothing is optimised away. */
    @Benchmark
    public int routeOneMessage() {
        rig.receive(pub);
        return rig.drain();
    }

    /** {@value #BURST} PUBs in two reads, then one batch per subscriber; per message. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public int routeBurst() {
        rig.receive(burstFirstRead);
        rig.receive(burstSecondRead);
        return rig.drain();
    }
}
