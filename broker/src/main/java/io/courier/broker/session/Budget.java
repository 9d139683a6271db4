package io.courier.broker.session;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What all connections together may hold of one resource: bytes of heap for one purpose (messages queued for
 * subscribers, frames received in part), or slots (established connections), so that no number of clients can
 * exhaust it. Byte budgets are charged in coarse grains (a connection reserves a piece and accounts within it), so
 * the shared counter is touched once per grain rather than once per message.
 */
public final class Budget {

    private final String name;
    private final long limit;
    private final AtomicLong used = new AtomicLong();

    public Budget(String name, long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("budget " + name + " must be positive, got " + limit);
        }
        this.name = name;
        this.limit = limit;
    }

    /** Charges {@code units} if they fit under the limit; returns whether they were charged. */
    boolean tryCharge(long units) {
        long now = used.get();
        while (now + units <= limit) {
            if (used.compareAndSet(now, now + units)) {
                return true;
            }
            now = used.get();
        }
        return false;
    }

    /** Charges {@code units} even past the limit (for holders the policy exempts). */
    void charge(long units) {
        used.addAndGet(units);
    }

    void release(long units) {
        used.addAndGet(-units);
    }

    /** Units charged now. */
    public long used() {
        return used.get();
    }

    public long limit() {
        return limit;
    }

    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return name + " " + used.get() + "/" + limit + "";
    }
}
