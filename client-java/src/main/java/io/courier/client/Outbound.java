package io.courier.client;

import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameType;
import io.courier.protocol.Ping;
import io.courier.protocol.Pong;
import java.io.IOException;
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
 * <p>Callers encode frames straight into {@code pending} under a short lock. Bytes leave in batches: whoever holds
 * the write token takes all of {@code pending} (swapping in the spare buffer) and writes it, so many frames share
 * one syscall; one token means batches go out whole and in order. Usually the writer thread holds it. But a frame
 * queued on an idle link (nothing pending, no batch out, the writer parked, no write for {@link #DIRECT_QUIET_NANOS})
 * is written by the calling thread itself, with one non-blocking write: a lone request or reply then costs no
 * thread wake-up. What the socket does not take at once is handed to the writer, which finishes it before anything
 * newer. Frames that follow closely behind a write are left to the writer, so back-to-back publishes still coalesce.
 *
 * <p>Limits: while connected, a publish waits (up to {@link #PUBLISH_BLOCK_NANOS}, 10 s) while more than
 * {@link #CONNECTED_LIMIT} bytes are unsent; while reconnecting, publishes are kept up to the reconnect buffer size
 * and refused beyond it. Control frames (SUB, UNSUB, PING, PONG) never wait and are only queued while connected:
 * subscriptions are re-sent from the registry on reconnect.
 *
 * <p>Draining ({@link #drain}): when the broker announces a graceful shutdown its link stops being the link to drain
 * to, as if it were lost (status RECONNECTING, new publishes buffered for the next link), but it gets what was queued
 * for it before, then the drain PING, and still the PONGs that answer the broker's PINGs. Those go out in
 * {@code drainOut}, by the token holder like any batch, so a batch in flight is finished first and no frame is cut.
 */
final class Outbound {

    private static final Logger log = LoggerFactory.getLogger(Outbound.class);

    static final int INITIAL_CAPACITY = 64 * 1024;
    /** Unsent bytes above which a publish waits while connected. */
    static final int CONNECTED_LIMIT = 2 * 1024 * 1024;
    static final long PUBLISH_BLOCK_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** A caller writes its own frame only when no write ended during this time: a lone frame, not a stream. */
    static final long DIRECT_QUIET_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
    /** Largest frame a caller writes itself; bigger ones go to the writer (the JDK caches a native copy per thread). */
    static final int DIRECT_MAX_BYTES = 64 * 1024;
    /** A buffer grown past this by a burst is dropped after use rather than kept as the spare. */
    private static final int SHRINK_ABOVE = 4 * 1024 * 1024;
    /** FIFO entry of a heartbeat PING: nobody waits for its PONG. */
    private static final CompletableFuture<Void> HEARTBEAT = new CompletableFuture<>();
    /** FIFO entry of the drain PING: its PONG means the broker read everything sent on the draining link. */
    private static final CompletableFuture<Void> DRAIN = new CompletableFuture<>();
    private static final int PING_BYTES = FrameCodec.encodedSize(Ping.INSTANCE);
    private static final int PONG_BYTES = FrameCodec.encodedSize(Pong.INSTANCE);
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0);

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition dataReady = lock.newCondition();
    private final Condition spaceFree = lock.newCondition();
    private final long reconnectLimit;
    private final long publishBlockNanos;
    private final ArrayDeque<CompletableFuture<Void>> pongWaiters = new ArrayDeque<>();
    /** Flush waiters whose PING was lost with a link or never sent: each gets a PING on the next link. */
    private final List<CompletableFuture<Void>> carriedFlushes = new ArrayList<>();
    private ByteBuffer pending = ByteBuffer.allocate(INITIAL_CAPACITY);
    /** The empty buffer that replaces {@code pending} when a batch is taken; null while both are out. */
    private ByteBuffer spare = ByteBuffer.allocate(INITIAL_CAPACITY);
    /** The write token is out: a batch is being written (by a caller or the writer). */
    private boolean writing;
    /** A caller's batch the socket took only in part; the writer finishes it before taking {@code pending}. */
    private Batch handoff;
    private boolean writerParked;
    /** When the last batch was written ({@link System#nanoTime()}). */
    private long lastWriteEnd;
    /** Batches so far: written by their caller, by the writer, and callers' batches the writer had to finish. */
    private long directWrites;
    private long writerWrites;
    private long handedOff;
    private boolean closed;
    private String closedReason;
    private int heartbeatsOutstanding;
    private volatile Link link;
    /** The link of a broker that is shutting down: still read, written only from {@code drainOut}; else null. */
    private Link draining;
    /** Frames still to write on {@code draining}. */
    private ByteBuffer drainOut = NOTHING;
    private volatile ConnectionStatus status = ConnectionStatus.CONNECTING;

    Outbound(long reconnectLimit) {
        this(reconnectLimit, PUBLISH_BLOCK_NANOS);
    }

    Outbound(long reconnectLimit, long publishBlockNanos) {
        this.reconnectLimit = reconnectLimit;
        this.publishBlockNanos = publishBlockNanos;
        this.lastWriteEnd = System.nanoTime() - DIRECT_QUIET_NANOS;
    }

    ConnectionStatus status() {
        return status;
    }

    /** The link being written to, or {@code null} while not connected. */
    Link link() {
        return link;
    }

    /**
     * Queues a PUB from its parts in wire form (see {@link PublishEncoder}); see the class comment for when it waits
     * or refuses.
     */
    void publish(byte[] topic, byte[] replyTo, byte[] headers, byte[] payload) {
        int size = PublishEncoder.size(topic, replyTo, headers, payload);
        Batch direct;
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
            boolean wasEmpty = pending.position() == 0;
            pending = withRoom(pending, size);
            PublishEncoder.encode(pending, size, topic, replyTo, headers, payload);
            direct = dispatch(wasEmpty, size);
        } finally {
            lock.unlock();
        }
        writeDirect(direct);
    }

    /**
     * Queues a control frame when connected; while reconnecting drops it and returns false. While draining, a PONG
     * (the answer to a PING of the broker, which still expects one) goes to the draining link.
     */
    boolean control(Frame frame) {
        Batch direct;
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            if (link == null) {
                if (draining == null || frame.type() != FrameType.PONG) {
                    return false;
                }
                drainOut = withRoom(drainOut, PONG_BYTES);
                FrameCodec.encode(frame, drainOut);
                wakeWriter();
                return true;
            }
            direct = enqueue(frame, FrameCodec.encodedSize(frame));
        } finally {
            lock.unlock();
        }
        writeDirect(direct);
        return true;
    }

    /**
     * Runs {@code change} (a subscription registry update) atomically with respect to reconnects, and queues the frame
     * it returns, if any, when connected. Returns false, without running {@code change}, once closed.
     */
    boolean update(Supplier<Frame> change) {
        Batch direct = null;
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            Frame frame = change.get();
            if (frame != null && link != null) {
                direct = enqueue(frame, FrameCodec.encodedSize(frame));
            }
        } finally {
            lock.unlock();
        }
        writeDirect(direct);
        return true;
    }

    /** Queues a PING for {@code flush}; the future completes at its PONG, or fails when the connection closes. */
    CompletableFuture<Void> flushPing() {
        CompletableFuture<Void> waiter = new CompletableFuture<>();
        Batch direct = null;
        lock.lock();
        try {
            if (closed) {
                waiter.completeExceptionally(new ConnectionClosedException("connection is closed: " + closedReason));
            } else if (link == null) {
                carriedFlushes.add(waiter);
            } else {
                pongWaiters.add(waiter);
                direct = enqueue(Ping.INSTANCE, PING_BYTES);
            }
        } finally {
            lock.unlock();
        }
        writeDirect(direct);
        return waiter;
    }

    /**
     * A PONG arrived: completes the oldest PING's waiter. Returns true when it answered the drain PING: the broker
     * has read everything sent on the draining link. Reader thread.
     */
    boolean pong() {
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
        if (waiter == DRAIN) {
            return true;
        }
        if (waiter != null && waiter != HEARTBEAT) {
            waiter.complete(null);
        }
        return false;
    }

    /**
     * The broker behind {@code old} is shutting down gracefully: it reads on until our drain PING. From now on
     * publishes are buffered for the next link, within the reconnect buffer, and flushes wait for the next link, as
     * while reconnecting (status RECONNECTING). What was queued for {@code old} still goes to it, after the batch in
     * flight, followed by the drain PING; {@link #pong()} says when that is answered. The link ends, and
     * {@link #detach} runs, as for any lost link. Returns false when {@code old} is not the current link. Reader
     * thread.
     */
    boolean drain(Link old) {
        lock.lock();
        try {
            if (closed || link != old) {
                return false;
            }
            link = null;
            status = ConnectionStatus.RECONNECTING;
            draining = old;
            append(Ping.INSTANCE, PING_BYTES);
            pongWaiters.add(DRAIN); // behind every PING queued for old: all of them precede the drain PING
            drainOut = pending;
            pending = takeSpare(0);
            wakeWriter();
            spaceFree.signalAll(); // publishers waiting for room now count against the reconnect buffer
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Heartbeat tick: queues a PING, unless more than {@code maxMissed} heartbeat PINGs are unanswered; then returns
     * the link, which the caller aborts. Returns {@code null} otherwise.
     */
    Link heartbeat(int maxMissed) {
        Batch direct;
        lock.lock();
        try {
            if (closed || link == null) {
                return null;
            }
            if (heartbeatsOutstanding > maxMissed) {
                return link;
            }
            pongWaiters.add(HEARTBEAT);
            heartbeatsOutstanding++;
            direct = enqueue(Ping.INSTANCE, PING_BYTES);
        } finally {
            lock.unlock();
        }
        writeDirect(direct);
        return null;
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
                // The spare buffer takes them when it is large enough, and the old one becomes the spare: a
                // reconnect's SUBs allocate nothing.
                ByteBuffer joined = takeSpare(size + pending.position());
                for (Frame f : frames) {
                    FrameCodec.encode(f, joined);
                }
                joined.put(pending.flip());
                ByteBuffer old = pending;
                pending = joined;
                keepAsSpare(old);
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
            if (pending.position() > 0) {
                wakeWriter();
            }
            spaceFree.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code lost} (the current or the draining link) is gone: stop writing to it, keep only the unsent publishes (as
     * many as fit the reconnect buffer; SUB, UNSUB and PINGs are rebuilt on the next link) and carry the flush
     * waiters over. What was still in {@code drainOut} is lost with the link, like a batch in flight. Reader thread.
     */
    void detach(Link lost) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            if (lost == draining) {
                draining = null;
                drainOut = NOTHING;
            } else if (lost == link) {
                link = null;
                status = ConnectionStatus.RECONNECTING;
            } else {
                return;
            }
            keepPublishesOnly();
            for (CompletableFuture<Void> waiter : pongWaiters) {
                if (waiter != HEARTBEAT && waiter != DRAIN) {
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
            draining = null;
            drainOut = NOTHING;
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
     * Writer thread: waits until there is something to send on a live link and the write token is free (or a caller
     * handed over a part-written batch), then takes the token and the batch. Returns {@code null} once closed. The
     * taker writes the batch and then calls {@link #written}.
     */
    Batch awaitBatch() throws InterruptedException {
        lock.lock();
        try {
            while (!closed) {
                if (handoff != null) {
                    Batch batch = handoff;
                    handoff = null;
                    return batch;
                }
                if (!writing && drainOut.position() > 0 && !draining.aborted()) {
                    writerWrites++;
                    writing = true;
                    Batch batch = new Batch(drainOut.flip(), draining);
                    drainOut = ByteBuffer.allocate(PONG_BYTES);
                    return batch;
                }
                if (!writing && pending.position() > 0 && link != null && !link.aborted()) {
                    writerWrites++;
                    return take();
                }
                writerParked = true;
                dataReady.await();
                writerParked = false;
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /** A batch is done with (all written, or lost with its link): the token is free again and the buffer is reused. */
    void written(Batch batch) {
        lock.lock();
        try {
            writing = false;
            lastWriteEnd = System.nanoTime();
            keepAsSpare(batch.buffer());
            if (pending.position() > 0 || drainOut.position() > 0) {
                wakeWriter();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Bytes to send (position to limit) and the link they are for. */
    record Batch(ByteBuffer buffer, Link link) {
    }

    /** An empty buffer of at least {@code need} bytes: the spare if large enough, else a new one. Under the lock. */
    private ByteBuffer takeSpare(int need) {
        ByteBuffer b = spare != null && spare.capacity() >= need ? spare
                : ByteBuffer.allocate(Math.max(INITIAL_CAPACITY, need));
        spare = null;
        return b;
    }

    /** Keeps {@code used}, emptied, as the spare if there is none and no burst grew it too large. Under the lock. */
    private void keepAsSpare(ByteBuffer used) {
        if (spare == null && used.capacity() >= INITIAL_CAPACITY && used.capacity() <= SHRINK_ABOVE) {
            spare = used.clear();
        }
    }

    /** Takes the token and everything pending as a batch; under the lock. */
    private Batch take() {
        Batch batch = new Batch(pending.flip(), link);
        pending = takeSpare(0);
        writing = true;
        spaceFree.signalAll();
        return batch;
    }

    /**
     * Appends a frame and sees that it gets written: returns a batch (holding the token) when the caller should
     * write it itself, else wakes the writer if needed and returns {@code null}. Under the lock.
     */
    private Batch enqueue(Frame frame, int size) {
        boolean wasEmpty = pending.position() == 0;
        append(frame, size);
        return dispatch(wasEmpty, size);
    }

    /** The part of {@link #enqueue} after the frame was appended. */
    private Batch dispatch(boolean wasEmpty, int size) {
        Link current = link;
        if (current == null || writing) {
            return null; // reconnecting: kept for the next link; or the token holder wakes the writer when done
        }
        if (wasEmpty && writerParked && size <= DIRECT_MAX_BYTES && !current.aborted()
                && System.nanoTime() - lastWriteEnd >= DIRECT_QUIET_NANOS) {
            directWrites++;
            return take();
        }
        wakeWriter();
        return null;
    }

    /**
     * Outside the lock: writes a batch {@link #enqueue} gave the caller, without blocking. The rest, if the socket
     * did not take it all, goes to the writer thread, which sends it before anything newer.
     */
    private void writeDirect(Batch batch) {
        if (batch == null) {
            return;
        }
        ByteBuffer buffer = batch.buffer();
        try {
            batch.link().writeSome(buffer);
        } catch (IOException e) {
            // Lost with the link, as a batch of the writer's would be (at-most-once); the reader reconnects.
            batch.link().abort("write failed: " + Link.describe(e));
            buffer.position(buffer.limit());
        }
        if (!buffer.hasRemaining()) {
            written(batch);
            return;
        }
        lock.lock();
        try {
            handedOff++;
            handoff = batch;
            wakeWriter();
        } finally {
            lock.unlock();
        }
    }

    /** How batches went out so far: written by their caller, by the writer, and callers' ones the writer finished. */
    record WriteStats(long direct, long writer, long handedOff) {
    }

    WriteStats writeStats() {
        lock.lock();
        try {
            return new WriteStats(directWrites, writerWrites, handedOff);
        } finally {
            lock.unlock();
        }
    }

    private void wakeWriter() {
        if (writerParked) {
            writerParked = false;
            dataReady.signal();
        }
    }

    private void append(Frame frame, int size) {
        pending = withRoom(pending, size);
        FrameCodec.encode(frame, pending);
    }

    /** {@code buffer}, or a bigger copy of it, with room for {@code size} more bytes. */
    private static ByteBuffer withRoom(ByteBuffer buffer, int size) {
        if (buffer.remaining() >= size) {
            return buffer;
        }
        long need = (long) buffer.position() + size;
        long capacity = Math.max(need, 2L * buffer.capacity());
        ByteBuffer bigger = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 16, capacity));
        bigger.put(buffer.flip());
        return bigger;
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
