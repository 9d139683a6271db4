package io.courier.broker.session;

/**
 * {@code courier.limits.max-publish-rate} for one link, as a virtual schedule (GCRA): each message moves the time
 * at which the link would be back within its rate by one interval, and up to a second's worth of messages may run
 * ahead of the clock. One thread at a time; costs a clock read per message, and only when a limit is set.
 */
final class PublishRate {

    private static final long BURST_NANOS = 1_000_000_000L;

    private final long intervalNanos;
    /** When the link would have caught up with its rate (System.nanoTime). */
    private long caughtUp = System.nanoTime();

    PublishRate(int perSecond) {
        this.intervalNanos = Math.max(1, 1_000_000_000L / perSecond);
    }

    /** Counts a message that is routed whatever the rate (a TCP PUB, already read); returns how far over it is. */
    long charge() {
        long now = System.nanoTime();
        caughtUp = Math.max(caughtUp, now) + intervalNanos;
        return Math.max(0, caughtUp - now - BURST_NANOS);
    }

    /** Counts a message only if it is within the rate (a UDP datagram, which may simply be dropped). */
    boolean tryCharge() {
        long now = System.nanoTime();
        long next = Math.max(caughtUp, now) + intervalNanos;
        if (next - now > BURST_NANOS) {
            return false;
        }
        caughtUp = next;
        return true;
    }
}
