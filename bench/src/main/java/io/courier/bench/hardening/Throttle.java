package io.courier.bench.hardening;

import java.util.concurrent.locks.LockSupport;

/** Keeps a reader at a byte rate: before each read it waits until the bytes read so far fit the schedule. */
final class Throttle {

    private final double bytesPerSecond;
    private final long startNanos = System.nanoTime();
    private long bytes;

    Throttle(double bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("rate must be positive, was " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
    }

    /** Waits until {@code chunk} more bytes are within the rate, then returns {@code chunk}. */
    int next(int chunk) {
        long dueNanos = startNanos + (long) ((bytes + chunk) / bytesPerSecond * 1e9);
        long wait = dueNanos - System.nanoTime();
        if (wait > 0) {
            LockSupport.parkNanos(wait);
        }
        return chunk;
    }

    void took(int n) {
        if (n > 0) {
            bytes += n;
        }
    }

    long bytes() {
        return bytes;
    }
}
