package io.courier.broker.session;

import io.courier.broker.observability.Link;
import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerSettings.SlowConsumerPolicy;
import io.courier.broker.BrokerStats;
import io.courier.broker.routing.PublisherFlow;
import org.apache.pekko.util.ByteString;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A connection's outbound queue, bounded in bytes. Publishers' threads offer frames here directly (no actor
 * message); the connection's {@link OutboxSource} drains everything queued into one buffer per socket write.
 *
 * <p><b>What is charged.</b> A frame counts as pending from the moment it is queued until the socket stage asks for
 * more after writing it, so the batch the TCP stage still holds is charged too. The bytes also count against the
 * broker-wide {@link Budget} of queued messages, reserved in grains of {@value #GRAIN} bytes; a queue with a
 * backlog of its own (over {@value #BACKLOG_FLOOR} bytes) that finds the broker-wide budget used up meets the
 * slow-consumer policy, so the broker's memory stays bounded however many clients stop reading.
 *
 * <p><b>Slow-consumer policy.</b> Messages that would push the pending bytes over the limit meet the policy: under
 * {@code disconnect} the owner is told once and cuts the link; under {@code drop} they are counted and the owner
 * reports the count to the client. Control frames (PONG, ERR, CONNECTED) may go a quarter over the limit, since the
 * client must see them; a client that makes the broker queue more (PINGs it never reads the PONGs of) is cut.
 *
 * <p><b>Publisher flow control.</b> A message that leaves more than half the limit pending tells the publisher (see
 * {@link PublisherFlow}), which stops reading until this outbox is back under a quarter of the limit, or until it
 * gave up waiting and called {@link #stopPacing}; from then until the outbox has caught up (nothing pending), only
 * the policy applies. Pacing is for bursts: a reader that stays slower than its publishers while its socket is
 * the bottleneck (the stage waits for the socket at least half of the time) for longer than {@code max-pacing}
 * is a slow consumer, and the policy applies to it, so the publishers and the other subscribers run at their own
 * pace again.
 *
 * <p><b>Cutting.</b> When the policy cuts the link, what is queued would be lost anyway: {@link #cut} discards it,
 * writes the ERR next, and completes.
 *
 * <p>No garbage per message: frames go into a {@link FrameQueue}'s reused arrays instead of a linked queue with a
 * node and a record per message. Publishers add to one queue under a lock held for a few stores; the source swaps it
 * for the one it has written out, once per batch, and writes the batch without the lock.
 */
final class Outbox implements PublisherFlow.Drain, Link.Outbound {

    /**
     * How far past its limit a queue may grow while the broker drains: publishers are not paced then (each must be
     * read until it says it has stopped), so what they had in flight when told arrives at once.
     */
    static final long DRAIN_ALLOWANCE = 16 * 1024 * 1024;
    /** Grain in which a queue reserves room from the broker-wide budget. */
    static final int GRAIN = 256 * 1024;
    /** A queue holding less than this is never refused by the broker-wide budget: only backlogs are. */
    static final long BACKLOG_FLOOR = 1024 * 1024;

    /**
     * The per-connection limits, from the broker's settings. A {@code patient} outbox (a route to another broker)
     * is waited for by its publishers for as long as it takes: its link is cut when the other broker is unreachable,
     * not by a publisher running out of patience.
     */
    record Limits(long maxPending, SlowConsumerPolicy policy, boolean pacePublishers, long maxPacingNanos,
                  boolean patient) {
        Limits(long maxPending, SlowConsumerPolicy policy, boolean pacePublishers, long maxPacingNanos) {
            this(maxPending, policy, pacePublishers, maxPacingNanos, false);
        }

        static Limits of(BrokerSettings settings) {
            return new Limits(settings.maxPendingBytes(), settings.slowConsumerPolicy(),
                    !settings.publisherPause().isZero(), settings.maxPacing().toNanos());
        }

        /** A route to another broker: paced, waited for patiently; what still does not fit is dropped and counted. */
        static Limits route(long maxPending) {
            return new Limits(maxPending, SlowConsumerPolicy.DROP, true, 0, true);
        }
    }

    /** Told once when the policy cuts the link (on any thread); the owner then calls {@link #cut}. */
    interface SlowListener {
        void slow(String reason);
    }

    /** What the source is told through its wake-up callback. */
    sealed interface Signal permits Wake, Abort { }

    enum Wake implements Signal { INSTANCE }

    record Abort(Throwable reason) implements Signal { }

    private final Limits limits;
    private final AtomicBoolean draining;
    private final long highWater;
    private final long lowWater;
    private final long controlLimit;
    private final BrokerStats stats;
    private final Budget budget;
    private final SlowListener listener;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicBoolean cutSignalled = new AtomicBoolean();
    private volatile Consumer<Signal> signal;
    private volatile boolean completing;

    private final Object lock = new Object();
    /** Where publishers add frames. Guarded by {@link #lock}. */
    private FrameQueue adding = new FrameQueue();
    /**
     * Bytes ever queued; minus {@link #written}, the bytes pending. Written under {@link #lock}; volatile so the
     * source can read it after a write without taking the lock.
     */
    private volatile long offered;
    /** Bytes reserved from the broker-wide budget. Guarded by {@link #lock}. */
    private long reserved;
    /** True while the source waits for frames; whoever clears it wakes the source. Guarded by {@link #lock}. */
    private boolean sourceWaiting;
    /** A frame to write before anything queued (ERR SERVER_SHUTDOWN, or the ERR of a cut). Set under the lock. */
    private volatile ByteString urgent;
    /** Set by {@link #cut}: the source lets go of what it has not written yet. */
    private volatile boolean discard;

    /** What the source is writing out. Only the source touches it. */
    private FrameQueue writing = new FrameQueue();
    /** The urgent bytes of the batch counted by {@link #nextBatch}. Only the source touches it. */
    private ByteString batchUrgent;
    /** Bytes of the batch counted by {@link #nextBatch} and not yet written. Only the source touches it. */
    private int batchBytes;
    /** Bytes handed to the socket stage and not yet confirmed by its next demand. Only the source touches it. */
    private int inFlight;
    /**
     * Bytes written out and confirmed. The source is its only writer (a plain increment is safe) and publishers read
     * it without the lock, so writing a batch out never contends with them.
     */
    private volatile long written;
    /** MSG frames written out. Only the source writes it (once per batch); the admin port reads it. */
    private volatile long messagesWritten;

    /** Whether a filling outbox tells its publishers. Guarded by {@link #lock}. */
    private boolean pacing;
    /**
     * Pending bytes at or under which pacing resumes once stopped: the low-water mark after a publisher gave up
     * waiting, 0 (caught up) after the reader was found slow. Guarded by {@link #lock}.
     */
    private long resumePacingAt;
    /** Publishers waiting for this outbox to drain. Guarded by {@link #lock}. */
    private final List<Runnable> drainWaiters = new ArrayList<>();
    /**
     * Set while someone waits for the drain or pacing is off: the source then checks after each write. A waiter sets
     * it before it reads {@link #written}, and the source writes {@code written} before it reads this flag: of two
     * such volatile accesses, at least one side sees the other's write, so a drain is never missed.
     */
    private volatile boolean watchDrain;

    // The slow-reader check, on the source's thread only.
    /** When the current episode of not catching up began (System.nanoTime), or 0 when caught up. */
    private long episodeStart;
    /** Nanoseconds of the episode the source spent waiting for the socket with frames still to write. */
    private long episodeSocketWait;
    private long lastPush;
    private boolean moreAfterPush;

    /** @param draining set broker-wide once the broker drains: the limit then grows by {@link #DRAIN_ALLOWANCE} */
    Outbox(Limits limits, BrokerStats stats, Budget budget, AtomicBoolean draining, SlowListener listener) {
        this.limits = limits;
        this.draining = draining;
        this.highWater = limits.maxPending() / 2;
        this.lowWater = limits.maxPending() / 4;
        this.controlLimit = limits.maxPending() + limits.maxPending() / 4;
        this.pacing = limits.pacePublishers();
        this.stats = stats;
        this.budget = budget;
        this.listener = listener;
    }

    /** Queues a MSG under the byte limits and the slow-consumer policy; tells {@code flow} when it fills up. */
    boolean offerMessage(int sid, ByteString body, PublisherFlow flow) {
        return offer(sid, body, null, FrameQueue.messageSize(body), flow);
    }

    /** Queues a publish forwarded to another broker (a route's outbox), as {@link #offerMessage} queues a MSG. */
    boolean offerRouted(byte[] groups, ByteString body, PublisherFlow flow) {
        return offer(0, body, groups, FrameQueue.routedSize(groups, body), flow);
    }

    private boolean offer(int sid, ByteString body, byte[] routeGroups, int size, PublisherFlow flow) {
        if (cutSignalled.get() || completing) {
            return false;
        }
        String refused = null;
        boolean wake = false;
        boolean congested = false;
        synchronized (lock) {
            if (completing) {
                return false;
            }
            long pending = offered - written + size;
            long maxPending = draining.get() ? limits.maxPending() + DRAIN_ALLOWANCE : limits.maxPending();
            if (pending > maxPending) {
                refused = "its outbound queue exceeded " + maxPending + " bytes";
            } else if (!reserve(pending, false)) {
                refused = "the broker's memory for queued messages (" + budget.limit()
                        + " bytes) is used up and this connection holds " + (pending - size) + " of them";
            } else {
                offered += size;
                if (routeGroups == null) {
                    adding.addMessage(sid, body);
                } else {
                    adding.addRouted(routeGroups, body);
                }
                wake = takeWaiting();
                congested = pacing && pending > highWater;
            }
        }
        if (refused != null) {
            overflow(refused);
            return false;
        }
        if (wake) {
            wake();
        }
        if (congested) {
            flow.congested(this);
        }
        return true;
    }

    /**
     * Queues an encoded control frame. It may pass the limit by a quarter; a link that makes the broker queue more
     * control frames than that never reads them and is cut. Returns false when not queued.
     */
    boolean offerControl(ByteString frame) {
        return offerControl(frame, true);
    }

    /**
     * Queues a control frame whatever the queue holds: for a sender that bounds what it has queued itself (a route's
     * interest batches, at most a window of them unacknowledged). Returns false when the link is ending.
     */
    boolean offerUncapped(ByteString frame) {
        return offerControl(frame, false);
    }

    private boolean offerControl(ByteString frame, boolean capped) {
        boolean wake;
        boolean over = false;
        synchronized (lock) {
            if (completing) {
                return false;
            }
            long pending = offered - written + frame.size();
            if (capped && pending > controlLimit) {
                over = true;
                wake = false;
            } else {
                reserve(pending, true);
                offered += frame.size();
                adding.addControl(frame);
                wake = takeWaiting();
            }
        }
        if (over) {
            giveUp("it does not read what the broker sends (over " + controlLimit + " bytes queued)");
            return false;
        }
        if (wake) {
            wake();
        }
        return true;
    }

    /** Writes {@code frame} before anything already queued (whole frames only, so the stream stays valid). */
    void offerUrgent(ByteString frame) {
        boolean wake;
        synchronized (lock) {
            ByteString before = urgent;
            urgent = before == null ? frame : before.concat(frame);
            wake = takeWaiting();
        }
        if (wake) {
            wake();
        }
    }

    /**
     * The policy cuts the link: what is queued is discarded (it would be lost with the link anyway), {@code err} is
     * written next, and the stream ends after it. Returns the number of queued messages discarded.
     */
    int cut(ByteString err) {
        int discarded;
        synchronized (lock) {
            discarded = adding.discard();
            discard = true;
        }
        stats.discardedOnCut(discarded);
        offerUrgent(err);
        complete();
        return discarded;
    }

    @Override
    public void whenDrained(Runnable resume) {
        synchronized (lock) {
            watchDrain = true;
            if (!completing && offered - written > lowWater) {
                drainWaiters.add(resume);
                return;
            }
            watchDrain = !pacing && limits.pacePublishers();
        }
        resume.run();
    }

    @Override
    public boolean patient() {
        return limits.patient();
    }

    @Override
    public void stopPacing() {
        synchronized (lock) {
            if (pacing) {
                pacing = false;
                resumePacingAt = lowWater;
            }
            watchDrain = true;
        }
    }

    /** Messages dropped since the last call (drop policy). */
    long takeDropped() {
        return dropped.getAndSet(0);
    }

    /** Bytes queued or in the socket stage's hands, not yet confirmed written. */
    @Override
    public long pendingBytes() {
        return offered - written;
    }

    @Override
    public long bytesWritten() {
        return written;
    }

    @Override
    public long messagesWritten() {
        return messagesWritten;
    }

    /** Flush what is queued, then end the stream (which closes the socket). Later offers are ignored. */
    void complete() {
        completing = true;
        checkDrained();
        boolean wake;
        synchronized (lock) {
            wake = takeWaiting();
        }
        if (wake) {
            wake();
        }
    }

    /** End the stream now, discarding what is queued, and give back the broker-wide budget. */
    void abort(Throwable reason) {
        completing = true;
        checkDrained();
        synchronized (lock) {
            adding.discard();
            discard = true;
            budget.release(reserved);
            reserved = 0;
        }
        Consumer<Signal> s = signal;
        if (s != null) {
            s.accept(new Abort(reason));
        }
    }

    // ------------------------------------------------------------------ the source's side

    void attach(Consumer<Signal> signal) {
        this.signal = signal;
    }

    /**
     * The socket stage asks for more: the batch it was given has been written. Called on every pull, before
     * {@link #nextBatch}.
     */
    void demand() {
        if (inFlight > 0) {
            if (moreAfterPush && episodeStart != 0) {
                long now = System.nanoTime();
                episodeSocketWait += now - lastPush;
                checkSlowReader(now);
            }
            written += inFlight;
            inFlight = 0;
            if (watchDrain) {
                checkDrained();
            }
            releaseSurplus();
        }
    }

    /**
     * Counts the next batch to write: an urgent frame if there is one, then the frames queued, oldest first, that
     * fit in {@code maxBytes} (at least one). Returns its size in bytes; write it with {@link #writeBatch}. Returns 0
     * when nothing is queued: the source then waits for a {@link Wake} (unless the outbox is completing), registered
     * in the same step, so a frame offered meanwhile is either in this batch or wakes the source.
     */
    int nextBatch(int maxBytes) {
        if (discard) {
            int lost = writing.discard();
            if (lost > 0) {
                stats.discardedOnCut(lost);
            }
        }
        batchUrgent = null;
        if (urgent != null || writing.isDrained()) {
            synchronized (lock) {
                batchUrgent = urgent;
                urgent = null;
                if (writing.isDrained()) {
                    writing.reset();
                    FrameQueue filled = adding;
                    adding = writing;
                    writing = filled;
                }
                sourceWaiting = writing.isDrained() && batchUrgent == null && !completing;
            }
        }
        int head = batchUrgent == null ? 0 : batchUrgent.size();
        batchBytes = head + writing.nextBatchBytes(Math.max(1, maxBytes - head));
        return batchBytes;
    }

    /** Writes the batch counted by {@link #nextBatch} into {@code target}, which has room for it. */
    void writeBatch(ByteBuffer target) {
        int bytes = batchBytes;
        if (batchUrgent != null) {
            batchUrgent.copyToBuffer(target);
            bytes -= batchUrgent.size();
            // Urgent frames were never counted in offered: count them as written so the books balance.
            offered(batchUrgent.size());
            batchUrgent = null;
        }
        int messages = writing.writeBatch(target, bytes);
        stats.messagesOut(messages);
        stats.bytesOut(batchBytes);
        if (messages > 0) {
            messagesWritten += messages;
        }
        inFlight += batchBytes;
        batchBytes = 0;
        watchForSlowReader();
    }

    boolean isCompleting() {
        return completing;
    }

    // ------------------------------------------------------------------ internals

    private void offered(int bytes) {
        synchronized (lock) {
            offered += bytes;
        }
    }

    /**
     * Source thread, after each write: tracks the current episode of not catching up, and applies the policy to a
     * reader that kept its publishers paced for longer than {@code max-pacing} while the socket, not the broker,
     * was what held it back.
     */
    private void watchForSlowReader() {
        long pending = offered - written - inFlight;
        moreAfterPush = pending > 0;
        if (!limits.pacePublishers() || limits.maxPacingNanos() <= 0) {
            return;
        }
        if (pending == 0) {
            // Caught up: the common case for a reader that keeps up, and it needs no clock.
            episodeStart = 0;
            return;
        }
        long now = System.nanoTime();
        lastPush = now;
        if (episodeStart == 0) {
            if (pending > lowWater) {
                episodeStart = now;
                episodeSocketWait = 0;
            }
        } else {
            checkSlowReader(now);
        }
    }

    private void checkSlowReader(long now) {
        long length = now - episodeStart;
        if (limits.maxPacingNanos() > 0 && length >= limits.maxPacingNanos() && 2 * episodeSocketWait >= length) {
            episodeStart = 0;
            slow("it read more slowly than its publishers for " + length / 1_000_000 + " ms");
        }
    }

    /**
     * Reserves room for {@code pending} bytes from the broker-wide budget; false when a backlog may not grow (unless
     * {@code force}d, for control frames). Under the lock.
     */
    private boolean reserve(long pending, boolean force) {
        if (pending <= reserved) {
            return true;
        }
        long more = Math.max(GRAIN, pending - reserved);
        if (budget.tryCharge(more)) {
            reserved += more;
            return true;
        }
        if (pending > BACKLOG_FLOOR && !force) {
            return false;
        }
        budget.charge(more);
        reserved += more;
        return true;
    }

    /** Source thread: gives back reserved grains the queue no longer needs. */
    private void releaseSurplus() {
        if (reserved - (offered - written) <= 2L * GRAIN) {
            return;
        }
        synchronized (lock) {
            long keep = offered - written + GRAIN;
            if (reserved > keep) {
                budget.release(reserved - keep);
                reserved = keep;
            }
        }
    }

    /**
     * When under the low-water mark: resume the waiting publishers; once caught up (nothing pending), pace again.
     */
    private void checkDrained() {
        List<Runnable> ready;
        synchronized (lock) {
            long pending = offered - written;
            if (!completing && pending > lowWater) {
                return;
            }
            if (!pacing && limits.pacePublishers() && pending <= resumePacingAt) {
                pacing = true;
            }
            watchDrain = !pacing && limits.pacePublishers() && !completing;
            if (drainWaiters.isEmpty()) {
                return;
            }
            ready = List.copyOf(drainWaiters);
            drainWaiters.clear();
        }
        ready.forEach(Runnable::run);
    }

    private boolean takeWaiting() {
        boolean waiting = sourceWaiting;
        sourceWaiting = false;
        return waiting;
    }

    private void wake() {
        Consumer<Signal> s = signal;
        if (s != null) {
            s.accept(Wake.INSTANCE);
        }
    }

    private void overflow(String reason) {
        if (limits.policy() == SlowConsumerPolicy.DROP) {
            dropped.incrementAndGet();
            stats.droppedOne();
        } else {
            slow(reason);
        }
    }

    /**
     * The reader is a slow consumer. Under {@code disconnect} the link is cut; under {@code drop} the outbox stops
     * pacing until it has caught up, so its publishers go free and what does not fit is dropped. Either way the
     * publishers waiting for it resume now.
     */
    private void slow(String reason) {
        if (limits.policy() == SlowConsumerPolicy.DISCONNECT) {
            giveUp(reason);
            return;
        }
        releaseWaiters();
    }

    /** The link is to be cut whatever the policy: its owner is told, once, and its waiting publishers resume. */
    private void giveUp(String reason) {
        releaseWaiters();
        if (cutSignalled.compareAndSet(false, true)) {
            listener.slow(reason);
        }
    }

    private void releaseWaiters() {
        List<Runnable> ready;
        synchronized (lock) {
            pacing = false;
            resumePacingAt = 0;
            watchDrain = limits.pacePublishers();
            ready = List.copyOf(drainWaiters);
            drainWaiters.clear();
        }
        ready.forEach(Runnable::run);
    }
}
