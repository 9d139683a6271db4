package io.courier.broker.session;

import io.courier.broker.routing.PublisherFlow;
import org.apache.pekko.util.ByteString;

import java.util.Collections;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What reads a link's bytes inside its {@link LinkReader}: a client's {@link Session}, or another broker's
 * {@link RouteSession}. The reader runs it one thread at a time and paces its reads by the queues it fills.
 *
 * @param <E> the events that reach it from outside the byte stream (timers, shutdown)
 */
interface Intake<E> {

    /** Wires the reader's callback, through which events reach the intake on the link's thread. */
    void attach(Consumer<E> events);

    void onBytes(ByteString bytes);

    void onEvent(E event);

    /** Subscriber queues the last bytes filled past their high-water mark; the reader clears the set. */
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

    /** Reads and drops whatever comes: the far end of a link that only writes (a route to another broker). */
    static <E> Intake<E> ignoring() {
        return new Ignoring<>();
    }

    /** What {@link #ignoring} returns; a test's intake overrides the one method it is about. */
    class Ignoring<E> implements Intake<E> {
        @Override
        public void attach(Consumer<E> events) {
        }

        @Override
        public void onBytes(ByteString bytes) {
        }

        @Override
        public void onEvent(E event) {
        }

        @Override
        public Set<PublisherFlow.Drain> congestion() {
            return Collections.emptySet();
        }

        @Override
        public boolean isDraining() {
            return false;
        }

        @Override
        public void release() {
        }
    }
}
