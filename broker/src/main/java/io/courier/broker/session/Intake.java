package io.courier.broker.session;

import io.courier.broker.routing.PublisherFlow;
import org.apache.pekko.util.ByteString;

import java.util.Set;
import java.util.function.Consumer;

/**
 * What reads a link's bytes inside its {@link SessionSink}: a client's {@link Session}, or another broker's
 * {@link RouteSession}. The stage runs it one thread at a time and paces its reads by the queues it fills.
 *
 * @param <E> the events that reach it from outside the byte stream (timers, shutdown)
 */
interface Intake<E> {

    /** Wires the stage's callback, through which events reach the intake on the stage's thread. */
    void attach(Consumer<E> events);

    void onBytes(ByteString bytes);

    void onEvent(E event);

    /** Subscriber queues the last bytes filled past their high-water mark; the stage clears the set. */
    Set<PublisherFlow.Drain> congestion();

    /**
     * How long to wait before reading on because the last bytes ran over the link's publish rate (0: read on). The
     * debt is cleared by asking.
     */
    default long takeOverRate() {
        return 0;
    }

    /** Whether reads must no longer be paced (the broker drains: every client must be read to the end). */
    boolean isDraining();

    /** The link is gone. */
    void release();
}
