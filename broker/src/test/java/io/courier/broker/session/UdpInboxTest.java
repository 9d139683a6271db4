package io.courier.broker.session;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The inbox between the UDP socket's thread and an endpoint actor, with a real actor draining it as
 * {@link UdpEndpoint} does: a lost wake-up would leave datagrams waiting for ever, a double count would lose or
 * repeat them.
 */
class UdpInboxTest {

    private ActorSystem<Void> system;

    @AfterEach
    void stop() {
        if (system != null) {
            system.terminate();
        }
    }

    /** An actor that drains {@code inbox} into {@code handler} on each Drain, as the endpoint actor does. */
    private ActorRef<UdpEndpoint.Command> drainer(UdpInbox inbox, Consumer<byte[]> handler) {
        Behavior<UdpEndpoint.Command> behavior = Behaviors.setup(context -> Behaviors.receive(UdpEndpoint.Command.class)
                .onMessageEquals(UdpEndpoint.Drain.INSTANCE, () -> {
                    if (inbox.drain(handler)) {
                        context.getSelf().tell(UdpEndpoint.Drain.INSTANCE);
                    }
                    return Behaviors.same();
                })
                .build());
        ActorRef<UdpEndpoint.Command>[] ref = new ActorRef[1];
        system = ActorSystem.create(Behaviors.setup(context -> {
            ref[0] = context.spawn(behavior, "endpoint");
            return Behaviors.empty();
        }), "udp-inbox-test");
        await().atMost(5, TimeUnit.SECONDS).until(() -> ref[0] != null);
        return ref[0];
    }

    private static byte[] numbered(long n) {
        return ByteBuffer.allocate(16).putLong(n).array();
    }

    @Test
    void everyAcceptedDatagramIsHandledOnceAndInOrderWhateverTheTwoThreadsTiming() throws Exception {
        Budget budget = new Budget("test", 1L << 40);
        UdpInbox inbox = new UdpInbox(budget);
        AtomicLong next = new AtomicLong();
        AtomicLong outOfOrder = new AtomicLong();
        ActorRef<UdpEndpoint.Command> actor = drainer(inbox, d -> {
            long n = ByteBuffer.wrap(d).getLong();
            if (n != next.get()) {
                outOfOrder.incrementAndGet();
            }
            next.set(n + 1);
            // Now and then the actor is slower than the socket, so that both sides of the count are exercised:
            // an empty inbox told again, and a full one drained across several messages.
            if (ThreadLocalRandom.current().nextInt(5000) == 0) {
                LockSupport.parkNanos(200_000);
            }
        });
        long sent = 0;
        for (int burst = 0; burst < 4000; burst++) {
            int size = ThreadLocalRandom.current().nextInt(1, 200);
            for (int i = 0; i < size; i++) {
                // A full inbox refuses (the socket's thread would drop the datagram); the test offers the same
                // number again until the actor has made room, so that every number must arrive.
                while (!inbox.offer(numbered(sent), actor)) {
                    Thread.yield();
                }
                sent++;
            }
            if (burst % 3 == 0) {
                // A pause long enough for the actor to empty the inbox and stop: the next datagram must wake it.
                LockSupport.parkNanos(ThreadLocalRandom.current().nextInt(1, 100_000));
            }
        }
        long expected = sent;
        await().atMost(20, TimeUnit.SECONDS).until(() -> next.get() == expected);
        assertThat(outOfOrder.get()).isZero();
        assertThat(budget.used()).isZero();
    }

    @Test
    void anEndpointHoldsAtMostItsLimitAndAllTogetherAtMostTheBudget() throws Exception {
        Budget budget = new Budget("test", 1L << 40);
        UdpInbox stalled = new UdpInbox(budget);
        // An actor that never drains: the inbox fills to its limit and refuses the rest.
        ActorRef<UdpEndpoint.Command> deaf = drainer(new UdpInbox(budget), d -> { });
        int accepted = 0;
        for (int i = 0; i < UdpInbox.LIMIT + 100; i++) {
            if (stalled.offer(numbered(i), deaf)) {
                accepted++;
            }
        }
        assertThat(accepted).isEqualTo(UdpInbox.LIMIT);
        assertThat(budget.used()).isEqualTo(UdpInbox.LIMIT * 16L);

        Budget small = new Budget("small", 1000);
        UdpInbox a = new UdpInbox(small);
        UdpInbox b = new UdpInbox(small);
        int taken = 0;
        for (int i = 0; i < 100; i++) {
            taken += a.offer(new byte[100], deaf) ? 1 : 0;
            taken += b.offer(new byte[100], deaf) ? 1 : 0;
        }
        assertThat(taken).isEqualTo(10);
        assertThat(small.used()).isEqualTo(1000);
        // Draining gives the bytes back, and the other endpoint may use them.
        while (a.drain(d -> { })) {
            // until empty
        }
        assertThat(small.used()).isEqualTo(1000 - 100L * 5);
        assertThat(b.offer(new byte[100], deaf)).isTrue();
    }
}
