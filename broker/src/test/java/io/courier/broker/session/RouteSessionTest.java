package io.courier.broker.session;

import com.typesafe.config.ConfigFactory;
import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.Router;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.RouteHello;
import io.courier.protocol.RouteInterest;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** What a route session does with the ROUTE_INTEREST frames another broker sends it, as bytes arrive. */
class RouteSessionTest {

    private static final String PEER = "pekko://courier@127.0.0.1:2";

    private final BrokerSettings settings = BrokerSettings.from(ConfigFactory.parseString("""
            courier.limits.max-payload = 1 KiB
            courier.limits.max-frame = 2 KiB
            """).withFallback(ConfigFactory.defaultReference()).resolve());
    private final List<RouteInterest> handed = new ArrayList<>();
    private final AtomicInteger closed = new AtomicInteger();
    private final RouteSession session = new RouteSession("127.0.0.1:5555", new Router(16), new BrokerStats(),
            settings, Capacity.of(settings), new RouteSession.Members() {
                @Override
                public boolean accepts(String nodeId, long incarnation) {
                    return nodeId.equals(PEER) && incarnation == 7;
                }

                @Override
                public void interest(String nodeId, RouteInterest batch) {
                    assertThat(nodeId).isEqualTo(PEER);
                    handed.add(batch);
                }
            }, closed::incrementAndGet);

    @Test
    void aBatchLargerThanTheClientsMaxFrameIsReadWholeAndHandedOnAfterTheHello() {
        List<RouteInterest.Change> changes = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            changes.add(new RouteInterest.Change("orders." + i + ".>", i % 2 == 0 ? "" : "workers", i % 3 != 0));
        }
        RouteInterest batch = new RouteInterest(7, 1, true, false, changes);
        // A sender puts one change in a batch of its own however large it is: two strings of 60,000 bytes.
        RouteInterest huge = new RouteInterest(7, 2001, false, false,
                List.of(new RouteInterest.Change("p".repeat(60_000), "g".repeat(60_000), true)));
        byte[] bytes = concat(concat(FrameCodec.encode(new RouteHello(PEER, 7)), FrameCodec.encode(batch)),
                FrameCodec.encode(huge));
        assertThat(FrameCodec.encodedSize(huge)).isGreaterThan(settings.maxFrame() + FrameCodec.MAX_STRING_BYTES)
                .isLessThanOrEqualTo(RouteInterest.MAX_FRAME_BYTES);
        // In pieces, as a socket may deliver them.
        for (int at = 0; at < bytes.length; at += 1000) {
            session.onBytes(ByteString.fromArray(bytes, at, Math.min(1000, bytes.length - at)));
        }
        assertThat(closed).hasValue(0);
        assertThat(handed).containsExactly(batch, huge);
    }

    @Test
    void aBatchBeforeTheHelloClosesTheRoute() {
        session.onBytes(ByteString.fromArrayUnsafe(FrameCodec.encode(
                new RouteInterest(7, 1, true, false, List.of()))));
        assertThat(closed).hasValue(1);
        assertThat(handed).isEmpty();
    }

    @Test
    void aMalformedBatchClosesTheRouteAndIsNotHandedOn() {
        byte[] frame = FrameCodec.encode(new RouteInterest(7, 1, false, false,
                List.of(new RouteInterest.Change("orders.>", "", true))));
        frame[frame.length - 1] = 2;
        session.onBytes(ByteString.fromArrayUnsafe(concat(FrameCodec.encode(new RouteHello(PEER, 7)), frame)));
        assertThat(closed).hasValue(1);
        assertThat(handed).isEmpty();
    }

    @Test
    void aBatchWhoseCountExceedsItsBytesClosesTheRoute() {
        byte[] frame = FrameCodec.encode(new RouteInterest(7, 1, false, false, List.of()));
        // count:u32 is the last field of an empty batch: claim 2^31 - 1 changes in no bytes.
        frame[frame.length - 4] = 0x7F;
        frame[frame.length - 3] = (byte) 0xFF;
        frame[frame.length - 2] = (byte) 0xFF;
        frame[frame.length - 1] = (byte) 0xFF;
        session.onBytes(ByteString.fromArrayUnsafe(concat(FrameCodec.encode(new RouteHello(PEER, 7)), frame)));
        assertThat(closed).hasValue(1);
        assertThat(handed).isEmpty();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
