package io.courier.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.protocol.Frame;
import io.courier.protocol.FrameDecoder;
import io.courier.protocol.Ping;
import io.courier.protocol.Pong;
import io.courier.protocol.Publish;
import io.courier.protocol.Subscribe;
import io.courier.protocol.Unsubscribe;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The outbound buffer on its own: no sockets, links are never opened. */
class OutboundTest {

    private static final ServerAddress NOWHERE = new ServerAddress("127.0.0.1", 9);

    @Test
    void lostLinkKeepsOnlyPublishesAndNewLinkGetsSubscriptionsFirstThenCarriedFlush() throws Exception {
        Link first = new Link(NOWHERE);
        Outbound outbound = attachedTo(first);
        publish(outbound, "a", new byte[] {1});
        outbound.control(new Subscribe(1, "x.>", ""));
        outbound.control(Pong.INSTANCE);
        CompletableFuture<Void> flush = outbound.flushPing();
        assertThat(outbound.heartbeat(2)).isNull();
        publish(outbound, "b", new byte[] {2});

        outbound.detach(first);
        assertThat(outbound.status()).isEqualTo(ConnectionStatus.RECONNECTING);
        assertThat(outbound.control(new Unsubscribe(1, 0))).isFalse();
        publish(outbound, "c", new byte[] {3});
        assertThat(flush).isNotDone();

        Link second = new Link(NOWHERE);
        outbound.attach(second, () -> List.of(new Subscribe(1, "x.>", "")));
        assertThat(decode(outbound.awaitBatch().buffer())).containsExactly(
                new Subscribe(1, "x.>", ""),
                new Publish("a", new byte[] {1}),
                new Publish("b", new byte[] {2}),
                new Publish("c", new byte[] {3}),
                Ping.INSTANCE);
        outbound.pong();
        assertThat(flush).isCompleted();
    }

    @Test
    void reconnectBufferKeepsWhatFitsAndRefusesTheRest() throws Exception {
        Outbound outbound = new Outbound(100);
        Link link = new Link(NOWHERE);
        outbound.attach(link, List::of);
        for (int i = 0; i < 5; i++) {
            publish(outbound, "t", new byte[30]); // 5 + 2+1 + 2 + 2 + 4 + 30 = 46 bytes each
        }
        outbound.detach(link); // keeps the first two (92 bytes), drops three
        assertThatThrownBy(() -> publish(outbound, "t", new byte[30]))
                .isInstanceOf(ReconnectBufferFullException.class);
        assertThatThrownBy(() -> publish(outbound, "t", new byte[0])) // 16 bytes: 92 + 16 > 100
                .isInstanceOf(ReconnectBufferFullException.class);
        outbound.attach(new Link(NOWHERE), List::of);
        assertThat(decode(outbound.awaitBatch().buffer()))
                .containsExactly(new Publish("t", new byte[30]), new Publish("t", new byte[30]));
    }

    @Test
    void publishWaitsForSpaceWhileConnectedButGivesUpAfterTheBlockTime() {
        Outbound outbound = new Outbound(1 << 20, TimeUnit.MILLISECONDS.toNanos(200));
        outbound.attach(new Link(NOWHERE), List::of);
        publish(outbound, "big", new byte[Outbound.CONNECTED_LIMIT]); // alone it is always accepted
        long start = System.nanoTime();
        assertThatThrownBy(() -> publish(outbound, "more", new byte[1]))
                .isInstanceOf(CourierException.class).hasMessageContaining("outbound buffer space");
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
    }

    @Test
    void drainingLinkGetsWhatWasQueuedThenTheDrainPingAndLaterPublishesWaitForTheNextLink() throws Exception {
        Link old = new Link(NOWHERE);
        Outbound outbound = attachedTo(old);
        publish(outbound, "a", new byte[] {1});
        Outbound.Batch inFlight = outbound.awaitBatch();
        publish(outbound, "b", new byte[] {2});
        CompletableFuture<Void> before = outbound.flushPing();

        assertThat(outbound.drain(old)).isTrue();
        assertThat(outbound.status()).isEqualTo(ConnectionStatus.RECONNECTING);
        assertThat(outbound.link()).isNull();
        publish(outbound, "c", new byte[] {3});
        CompletableFuture<Void> during = outbound.flushPing();
        assertThat(outbound.heartbeat(2)).isNull();
        assertThat(outbound.control(new Subscribe(1, "x", ""))).isFalse();
        outbound.written(inFlight); // the batch in flight is finished before anything else goes to the old link

        Outbound.Batch drained = outbound.awaitBatch();
        assertThat(drained.link()).isSameAs(old);
        assertThat(decode(drained.buffer())).containsExactly(new Publish("b", new byte[] {2}), Ping.INSTANCE,
                Ping.INSTANCE);
        outbound.written(drained);
        assertThat(outbound.control(Pong.INSTANCE)).isTrue(); // the broker still gets its PONGs
        Outbound.Batch pong = outbound.awaitBatch();
        assertThat(pong.link()).isSameAs(old);
        assertThat(decode(pong.buffer())).containsExactly(Pong.INSTANCE);
        outbound.written(pong);
        assertThat(outbound.pong()).isFalse();
        assertThat(before).isCompleted();
        assertThat(outbound.pong()).as("the PONG of the drain PING").isTrue();

        outbound.detach(old);
        outbound.attach(new Link(NOWHERE), () -> List.of(new Subscribe(1, "x", "")));
        assertThat(decode(outbound.awaitBatch().buffer())).containsExactly(new Subscribe(1, "x", ""),
                new Publish("c", new byte[] {3}), Ping.INSTANCE);
        assertThat(during).isNotDone();
        outbound.pong();
        assertThat(during).isCompleted();
    }

    @Test
    void reconnectAfterReconnectEachLinkGetsItsSubscriptionsThenOnlyWhatWasLeftForIt() throws Exception {
        // The subscriptions of a reconnect go into the spare buffer and the old one becomes the spare: no batch may
        // see another's bytes.
        Outbound outbound = attachedTo(new Link(NOWHERE));
        List<Frame> subs = List.of(new Subscribe(1, "x.>", ""), new Subscribe(2, "y", "q"));
        for (int round = 0; round < 4; round++) {
            Outbound.Batch sent = null;
            if (round % 2 == 1) {
                publish(outbound, "sent", new byte[] {(byte) round});
                sent = outbound.awaitBatch();   // a batch out while the link is lost
            }
            Link lost = outbound.link();
            outbound.detach(lost);
            if (sent != null) {
                outbound.written(sent);
            }
            publish(outbound, "kept", new byte[] {(byte) round});
            outbound.attach(new Link(NOWHERE), () -> subs);
            Outbound.Batch batch = outbound.awaitBatch();
            List<Frame> expected = new ArrayList<>(subs);
            expected.add(new Publish("kept", new byte[] {(byte) round}));
            assertThat(decode(batch.buffer())).as("round " + round).isEqualTo(expected);
            outbound.written(batch);
        }
    }

    @Test
    void closeFailsWaitersAndRefusesPublishes() {
        Outbound outbound = attachedTo(new Link(NOWHERE));
        CompletableFuture<Void> flush = outbound.flushPing();
        outbound.close("test over");
        assertThat(flush).isCompletedExceptionally();
        assertThatThrownBy(() -> publish(outbound, "t", new byte[0]))
                .isInstanceOf(ConnectionClosedException.class).hasMessageContaining("test over");
        assertThat(outbound.status()).isEqualTo(ConnectionStatus.CLOSED);
    }

    /** A 1 MiB outbound buffer with {@code link} attached and no subscriptions to send on it. */
    private static Outbound attachedTo(Link link) {
        Outbound outbound = new Outbound(1 << 20);
        outbound.attach(link, List::of);
        return outbound;
    }

    private static void publish(Outbound outbound, String topic, byte[] payload) {
        outbound.publish(PublishEncoder.stringField(topic), PublishEncoder.EMPTY_FIELD, PublishEncoder.NO_HEADERS,
                payload);
    }

    private static List<Frame> decode(ByteBuffer written) {
        List<Frame> frames = new ArrayList<>();
        assertThat(new FrameDecoder(1 << 20).decode(written, frames::add)).isNull();
        return frames;
    }
}
