package io.courier.broker.session;

import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.LastValues;
import io.courier.broker.routing.PublisherFlow;
import io.courier.broker.routing.Router;
import io.courier.protocol.Datagram;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

import java.util.function.BiConsumer;

/**
 * One actor per bound UDP endpoint (a client's address and port), child of its session's {@link Connection}: it
 * ends with the connection, after {@code courier.udp.idle-timeout} without a datagram, or when it fails, and then
 * only its own endpoint is unbound. Its publishes enter routing through the same {@link PublishIntake} as TCP PUBs.
 * A datagram is never answered over UDP: what is refused is counted, and told to the client over its TCP link.
 */
final class UdpEndpoint {

    sealed interface Command permits Drain, KeepAlive, Idle { }

    /** Datagrams from the bound address wait in the endpoint's {@link UdpInbox}. */
    enum Drain implements Command { INSTANCE }

    /** A HELLO from the bound address: the client is still there (a receive-only client sends only these). */
    enum KeepAlive implements Command { INSTANCE }

    enum Idle implements Command { INSTANCE }

    private UdpEndpoint() {
    }

    /** {@code refused} hears a publish refused for a reason worth telling the client (topic, payload size). */
    static Behavior<Command> create(UdpBinding binding, UdpInbox inbox, BrokerSettings settings, BrokerStats stats,
                                    Router router, LastValues lastValues,
                                    BiConsumer<PublishIntake.Verdict, String> refused) {
        long idleNanos = settings.udp().idleTimeout().toNanos();
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            // A periodic check, not a receive timeout: Pekko re-arms a receive timeout on every message, a timer
            // cancelled and scheduled again per datagram.
            timers.startTimerWithFixedDelay(Idle.INSTANCE, settings.udp().idleTimeout().dividedBy(4));
            PublishIntake intake = new PublishIntake(settings, stats, router, lastValues, binding.grant());
            Datagram reader = new Datagram();
            long[] lastSeq = {-1};
            long[] lastHeard = {System.nanoTime()};
            java.util.function.Consumer<byte[]> handle = data -> {
                if (reader.read(data, 0, data.length) != Datagram.Kind.PUB) {
                    stats.udp().malformedDropped();
                    return;
                }
                long seq = reader.seq() & 0xFFFF_FFFFL;
                if (lastSeq[0] >= 0) {
                    long missing = (seq - lastSeq[0] - 1) & 0xFFFF_FFFFL;
                    // A datagram older than the last one (reordered) is not a gap.
                    if (missing > 0 && missing < 1L << 31) {
                        stats.udp().senderGap(missing);
                    }
                }
                lastSeq[0] = seq;
                PublishIntake.Verdict verdict = intake.accept(data, reader.deliveryFrom(), reader.deliveryTo(),
                        binding.sessionId(), binding.noEcho(), PublisherFlow.NONE, true);
                if (verdict == PublishIntake.Verdict.MALFORMED) {
                    stats.udp().malformedDropped();
                } else if (verdict == PublishIntake.Verdict.RATE_LIMITED) {
                    stats.rateLimitedOnce();
                } else if (verdict != PublishIntake.Verdict.ROUTED) {
                    stats.udp().publishRefused();
                    refused.accept(verdict, intake.reason());
                }
            };
            return Behaviors.receive(Command.class)
                    .onMessageEquals(Drain.INSTANCE, () -> {
                        lastHeard[0] = System.nanoTime();
                        if (inbox.drain(handle)) {
                            context.getSelf().tell(Drain.INSTANCE);
                        }
                        return Behaviors.same();
                    })
                    .onMessageEquals(KeepAlive.INSTANCE, () -> {
                        lastHeard[0] = System.nanoTime();
                        return Behaviors.same();
                    })
                    .onMessageEquals(Idle.INSTANCE, () -> {
                        if (System.nanoTime() - lastHeard[0] < idleNanos) {
                            return Behaviors.same();
                        }
                        stats.udp().idleUnbound();
                        return Behaviors.stopped();
                    })
                    .onSignal(PostStop.class, signal -> {
                        binding.unbind(context.getSelf());
                        return Behaviors.same();
                    })
                    .build();
        }));
    }
}
