package io.courier.broker.transport.udp;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

import java.time.Duration;

/**
 * Owns the broker's {@link UdpSocket}: starts its reading thread, starts a new one (after a backoff) if that thread
 * ever fails, and closes the socket when the broker stops. Datagrams go from the socket's thread straight to their
 * sessions' endpoint actors ({@link UdpSocket.Receiver}); this actor is only the socket's life cycle.
 */
public final class UdpListener {

    /** What the listener understands: only that its socket's thread failed. */
    public sealed interface Command permits ReaderFailed { }

    record ReaderFailed(Throwable cause) implements Command { }

    /** Thrown to have the supervisor restart the listener (and with it the reading thread) after a backoff. */
    static final class ReaderFailure extends RuntimeException {
        ReaderFailure(Throwable cause) {
            super("the UDP socket's reading thread failed: " + cause, cause);
        }
    }

    private UdpListener() {
    }

    public static Behavior<Command> create(UdpSocket socket, UdpSocket.Receiver receiver) {
        Behavior<Command> listener = Behaviors.setup(context -> {
            socket.start(receiver, failure -> context.getSelf().tell(new ReaderFailed(failure)));
            return Behaviors.receive(Command.class)
                    .onMessage(ReaderFailed.class, failed -> {
                        throw new ReaderFailure(failed.cause());
                    })
                    .onSignal(PostStop.class, signal -> {
                        socket.close();
                        return Behaviors.same();
                    })
                    .build();
        });
        return Behaviors.supervise(listener).onFailure(ReaderFailure.class,
                SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    }
}
