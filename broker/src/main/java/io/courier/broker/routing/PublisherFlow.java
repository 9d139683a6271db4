package io.courier.broker.routing;

/**
 * Publisher flow control. A subscriber's queue that fills faster than its socket drains tells the publisher whose
 * message it just took, and the publisher stops reading from its client for a moment, so a burst that the broker
 * cannot write out as fast as it reads it slows the publisher down (TCP pushes back on the client) instead of
 * pushing a healthy subscriber over its limit. A subscriber that stops draining altogether still meets the
 * slow-consumer policy: the publisher waits only so long, then tells the queue to stop pacing.
 */
public interface PublisherFlow {

    /** For messages whose sender cannot be paused (the broker's own replies). */
    PublisherFlow NONE = queue -> { };

    /** {@code queue} passed its high-water mark while taking this publisher's message. */
    void congested(Drain queue);

    /** A queue a publisher can wait on. */
    interface Drain {

        /** Runs {@code resume}, on any thread, once the queue is back under its low-water mark (at once if it is). */
        void whenDrained(Runnable resume);

        /**
         * The publisher waited and the queue did not drain: signal no more congestion until it has, so that the
         * slow-consumer policy, not the publishers, deals with its client.
         */
        void stopPacing();

        /**
         * Whether publishers wait for this queue however long it takes (a route to another broker, whose backlog
         * is lost if it overflows), instead of giving up after the publisher pause.
         */
        default boolean patient() {
            return false;
        }
    }
}
