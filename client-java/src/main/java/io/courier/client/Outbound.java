package io.courier.client;

import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameType;
import io.courier.protocol.Ping;
import io.courier.protocol.Publish;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection's outbound byte buffer and the state that must change atomically with it: which link it drains to
 * (none while reconnecting), the FIFO of PINGs waiting for their PONG, and the connection status.
 *
 * <p>Callers encode frames straight into {@code pending} under a short lock; the writer thread swaps {@code pending}
 * for an empty buffer and writes the full one in a single socket write, so many frames share one syscall and no
 * thread handoff happens per message.
 *
 * <p>Limits: while connected, a publish waits (up to {@link #PUBLISH_BLOCK_NANOS}, 10 s) while more than
 * {@link #CONNECTED_LIMIT} bytes are unsent; while reconnecting, publishes are kept up to the reconnect buffer size
 * and refused beyond it. Control frames (SUB, UNSUB, PING, PONG) never wait and are only queued while connected:
 * subscriptions are re-sent from the registry on reconnect.
 */
final class Outbound {

    private static final Logger log = LoggerFactory.getLogger(Outbound.class);

    static final int INITIAL_CAPACITY = 64 * 1024;
    /** Unsent bytes above which a publish waits while connected. */
    static final int CONNECTED_LIMIT = 2 * 1024 * 1024;
    static final long PUBLISH_BLOCK_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** FIFO entry of a heartbeat PING: nobody waits for its PONG. */
    private static final CompletableFuture<Void> HEARTBEAT = new CompletableFuture<>();
    private static final int PING_BYTES = FrameCodec.encodedSize(Ping.INSTANCE);

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition dataReady = lock.newCondition();
    private final Condition spaceFree = lock.newCondition();
    private final long reconnectLimit;
    private final long publishBlockNanos;
    private final ArrayDeque<CompletableFuture<Void>> pongWaiters = new ArrayDeque<>();
    /** Flush waiters whose PING was lost with a link or never sent: each gets a PING on the next link. */
    private final List<CompletableFuture<Void>> carriedFlushes = new ArrayList<>();
    private ByteBuffer pending = ByteBuffer.allocate(INITIAL_CAPACITY);
    private boolean writerParked;
    private boolean closed;
    private String closedReason;
    private int heartbeatsOutstanding;
    private volatile Link link;
    private volatile ConnectionStatus status = ConnectionStatus.CONNECTING;

    Outbound(long reconnectLimit) {
        this(reconnectLimit, PUBLISH_BLOCK_NANOS);
    }

    Outbound(long reconnectLimit, long publishBlockNanos) {
        this.reconnectLimit = reconnectLimit;
        this.publishBlockNanos = publishBlockNanos;
    }

    ConnectionStatus status() {
        return status;
    }

    /** The link being written to, or {@code null} while not connected. */
    Link link() {
        return link;
    }

    /** Queues a PUB; see the class comment for when it waits or refuses. */
    void publish(Publish frame) {
        int size = FrameCodec.encodedSize(frame);
        lock.lock();
        try {
            long nanos = publishBlockNanos;
            while (true) {
                if (closed) {
                    throw new ConnectionClosedException("connection is closed: " + closedReason);
                }
                long used = pending.position();
                if (link == null) {
                    if (used + size > reconnectLimit) {
                        throw new ReconnectBufferFullException("reconnect buffer full: " + used + " bytes buffered, "
                                + size + " more would exceed reconnectBufferBytes=" + reconnectLimit
                                + "; retry when reconnected");
                    }
                    break;
                }
                if (used == 0 || used + size <= CONNECTED_LIMIT) {
                    break;
                }
                if (nanos <= 0) {
                    throw new CourierException("publish gave up after waiting "
                            + TimeUnit.NANOSECONDS.toMillis(publishBlockNanos) + " ms for outbound buffer space: "
                            + "the broker is not reading fast enough");
                }
                try {
                    nanos = spaceFree.awaitNanos(nanos);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CourierException("interrupted while waiting for outbound buffer space", e);
                }
            }
            append(frame, size);
        } finally {
            lock.unlock();
        }
    }

    /** Queues a control frame when connected; while reconnecting drops it and returns false. */
    boolean control(Frame frame) {
        lock.lock();
        try {
            if (closed || link == null) {
                return false;
            }
            append(frame, FrameCodec.encodedSize(frame));
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code change} (a subscription registry update) atomically with respect to reconnects, and queues the frame
     * it returns, if any, when connected. Returns false, without running {@code change}, once closed.
     */
    boolean update(Supplier<Frame> change) {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            Frame frame = change.get();
            if (frame != null && link != null) {
                append(frame, FrameCodec.encodedSize(frame));
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Queues a PING for {@code flush}; the future completes at its PONG, or fails when the connection closes. */
    CompletableFuture<Void> flushPing() {
        CompletableFuture<Void> waiter = new CompletableFuture<>();
        lock.lock();
        try {
            if (closed) {
                waiter.completeExceptionally(new ConnectionClosedException("connection is closed: " + closedReason));
            } else if (link == null) {
                carriedFlushes.add(waiter);
            } else {
                append(Ping.INSTANCE, PING_BYTES);
                pongWaiters.add(waiter);
            }
        } finally {
            lock.unlock();
        }
        return waiter;
    }

    /** A PONG arrived: completes the oldest PING's waiter. Reader thread. */
    void pong() {
        CompletableFuture<Void> waiter;
        lock.lock();
        try {
            waiter = pongWaiters.poll();
            if (waiter == HEARTBEAT) {
                heartbeatsOutstanding--;
            }
        } finally {
            lock.unlock();
        }
        if (waiter != null && waiter != HEARTBEAT) {
            waiter.complete(null);
        }
    }

    /**
     * Heartbeat tick: queues a PING, unless more than {@code maxMissed} heartbeat PINGs are unanswered; then returns
     * the link, which the caller aborts. Returns {@code null} otherwise.
     */
    Link heartbeat(int maxMissed) {
        lock.lock();
        try {
            if (closed || link == null) {
                return null;
            }
            if (heartbeatsOutstanding > maxMissed) {
                return link;
            }
            append(Ping.INSTANCE, PING_BYTES);
            pongWaiters.add(HEARTBEAT);
            heartbeatsOutstanding++;
            return null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes {@code newLink} the link to drain to. The frames {@code prefix} yields (the subscriptions) go first, then
     * what was buffered while disconnected, then one PING per carried flush waiter. Returns false when closed.
     */
    boolean attach(Link newLink, Supplier<List<Frame>> prefix) {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            List<Frame> frames = prefix.get();
            if (!frames.isEmpty()) {
                int size = 0;
                for (Frame f : frames) {
                    size += FrameCodec.encodedSize(f);
                }
                ByteBuffer joined = ByteBuffer.allocate(Math.max(INITIAL_CAPACITY, size + pending.position()));
                for (Frame f : frames) {
                    FrameCodec.encode(f, joined);
                }
                joined.put(pending.flip());
                pending = joined;
            }
            link = newLink;
            status = ConnectionStatus.CONNECTED;
            heartbeatsOutstanding = 0;
            pongWaiters.clear();
            for (CompletableFuture<Void> waiter : carriedFlushes) {
                append(Ping.INSTANCE, PING_BYTES);
                pongWaiters.add(waiter);
            }
            carriedFlushes.clear();
            if (pending.position() > 0 && writerParked) {
                writerParked = false;
                dataReady.signal();
            }
            spaceFree.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code lost} is gone: stop draining, keep only the unsent publishes (as many as fit the reconnect buffer; SUB,
     * UNSUB and PINGs are rebuilt on the next link) and carry the flush waiters over. Reader thread.
     */
    void detach(Link lost) {
        lock.lock();
        try {
            if (closed || link != lost) {
                return;
            }
            link = null;
            status = ConnectionStatus.RECONNECTING;
            keepPublishesOnly();
            for (CompletableFuture<Void> waiter : pongWaiters) {
                if (waiter != HEARTBEAT) {
                    carriedFlushes.add(waiter);
                }
            }
            pongWaiters.clear();
            heartbeatsOutstanding = 0;
            spaceFree.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Closes for good: unsent bytes are discarded, waiters fail, the writer stops. Returns the bytes discarded. */
    int close(String reason) {
        List<CompletableFuture<Void>> waiters = new ArrayList<>();
        int discarded;
        lock.lock();
        try {
            if (closed) {
                return 0;
            }
            closed = true;
            closedReason = reason;
            status = ConnectionStatus.CLOSED;
            link = null;
            discarded = pending.position();
            pending = ByteBuffer.allocate(0);
            for (CompletableFuture<Void> waiter : pongWaiters) {
                if (waiter != HEARTBEAT) {
                    waiters.add(waiter);
                }
            }
            waiters.addAll(carriedFlushes);
            pongWaiters.clear();
            carriedFlushes.clear();
            dataReady.signalAll();
            spaceFree.signalAll();
        } finally {
            lock.unlock();
        }
        for (CompletableFuture<Void> waiter : waiters) {
            waiter.completeExceptionally(new ConnectionClosedException("connection is closed: " + reason));
        }
        return discarded;
    }

    /**
     * Writer thread: waits for bytes to send on a live link, then hands them over and takes {@code empty} as the new
     * pending buffer. Returns {@code null} once closed.
     */
    Batch awaitBatch(ByteBuffer empty) throws InterruptedException {
        lock.lock();
        try {
            while (!closed && (pending.position() == 0 || link == null || link.aborted())) {
                writerParked = true;
                dataReady.await();
                writerParked = false;
            }
            if (closed) {
                return null;
            }
            Batch batch = new Batch(pending, link);
            pending = empty;
            spaceFree.signalAll();
            return batch;
        } finally {
            lock.unlock();
        }
    }

    record Batch(ByteBuffer buffer, Link link) {
    }

    private void append(Frame frame, int size) {
        if (pending.remaining() < size) {
            long need = (long) pending.position() + size;
            long capacity = Math.max(need, 2L * pending.capacity());
            ByteBuffer bigger = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 16, capacity));
            bigger.put(pending.flip());
            pending = bigger;
        }
        FrameCodec.encode(frame, pending);
        if (writerParked && link != null) {
            writerParked = false;
            dataReady.signal();
        }
    }

    /** Compacts {@code pending} in place to its PUB frames that fit the reconnect buffer. */
    private void keepPublishesOnly() {
        int end = pending.position();
        byte[] bytes = pending.array();
        int read = 0;
        int write = 0;
        int droppedPublishes = 0;
        while (read + FrameCodec.HEADER_BYTES <= end) {
            int frameBytes = FrameCodec.LENGTH_BYTES + pending.getInt(read);
            if (bytes[read + FrameCodec.LENGTH_BYTES] == (byte) FrameType.PUB.code()) {
                if (write + (long) frameBytes <= reconnectLimit) {
                    System.arraycopy(bytes, read, bytes, write, frameBytes);
                    write += frameBytes;
                } else {
                    droppedPublishes++;
                }
            }
            read += frameBytes;
        }
        pending.position(write);
        if (droppedPublishes > 0) {
            log.warn("dropped {} unsent publishes that did not fit the reconnect buffer of {} bytes",
                    droppedPublishes, reconnectLimit);
        }
    }
}
