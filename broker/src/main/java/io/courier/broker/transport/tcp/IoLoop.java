package io.courier.broker.transport.tcp;

import io.courier.broker.Failures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * One thread that owns a selector and the client sockets registered with it: it reads them, runs each link's
 * session on the bytes read, writes what their outboxes hold, and runs the tasks and timers other threads post to
 * those links. A link lives on one loop for its whole life, so its reads, writes, timers and events never race; the
 * socket's bytes reach the session with no hand-off between threads (docs/architecture.md, "Client links").
 *
 * <p>Everything but {@link #execute} runs on the loop's thread.
 */
public final class IoLoop {

    private static final Logger log = LoggerFactory.getLogger(IoLoop.class);
    /** Posted tasks run per turn before the selector is looked at again, so sockets are never starved by tasks. */
    private static final int TASKS_PER_TURN = 4096;
    private static final long FAILED_TURN_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** What a registered channel's key carries: it is told when the channel is ready. */
    public interface Handler {
        void ready(SelectionKey key);
    }

    /** A timer on this loop; cancelling it is the loop thread's too. */
    public static final class Timer implements Comparable<Timer> {
        private final long deadline;
        private final Runnable task;
        private boolean cancelled;

        private Timer(long deadline, Runnable task) {
            this.deadline = deadline;
            this.task = task;
        }

        public void cancel() {
            cancelled = true;
        }

        @Override
        public int compareTo(Timer other) {
            return Long.compare(deadline - other.deadline, 0);
        }
    }

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Set while the loop is about to block or blocks in select: whoever clears it wakes the selector. */
    private final AtomicBoolean sleeping = new AtomicBoolean();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final ByteBuffer readBuffer;
    private final ByteBuffer writeBuffer;
    private volatile boolean running = true;

    IoLoop(String name, int readBufferBytes, int writeBufferBytes) throws IOException {
        this.selector = Selector.open();
        this.readBuffer = ByteBuffer.allocateDirect(readBufferBytes);
        this.writeBuffer = ByteBuffer.allocateDirect(writeBufferBytes);
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Runs {@code task} on the loop's thread, after what runs now; from any thread. Dropped once closed. */
    public void execute(Runnable task) {
        tasks.add(task);
        if (sleeping.get() && sleeping.getAndSet(false)) {
            selector.wakeup();
        }
    }

    public SelectionKey register(SelectableChannel channel, int ops, Handler handler) throws IOException {
        return channel.register(selector, ops, handler);
    }

    /** Runs {@code task} on this loop in {@code delayNanos} (at millisecond resolution), unless cancelled first. */
    public Timer schedule(long delayNanos, Runnable task) {
        Timer timer = new Timer(System.nanoTime() + delayNanos, task);
        timers.add(timer);
        return timer;
    }

    /** The loop's buffer to read into: valid until the reader returns. */
    public ByteBuffer readBuffer() {
        return readBuffer;
    }

    /** The loop's buffer to write from: valid until the writer returns. */
    public ByteBuffer writeBuffer() {
        return writeBuffer;
    }

    /** Stops the loop and closes every channel still registered with it. */
    void close() {
        running = false;
        selector.wakeup();
    }

    private void run() {
        try {
            while (running) {
                try {
                    turn();
                } catch (IOException | RuntimeException | Error e) {
                    if (!Failures.containable(e)) {
                        fatal(e);
                        return;
                    }
                    if (!selector.isOpen()) {
                        return;
                    }
                    // The loop outlives what went wrong in one turn (out of file descriptors, a class that would
                    // not load): its links are every client on it. A pause keeps a lasting fault from spinning.
                    logQuietly("a turn", e);
                    LockSupport.parkNanos(FAILED_TURN_PAUSE_NANOS);
                }
            }
        } finally {
            closeAll();
        }
    }

    private void turn() throws IOException {
        long timeout = timeoutMillis();
        sleeping.set(true);
        if (!tasks.isEmpty() || timeout < 0) {
            sleeping.set(false);
            selector.selectNow(this::ready);
        } else {
            selector.select(this::ready, timeout);
            sleeping.set(false);
        }
        runTasks();
        runTimers();
    }

    /** Milliseconds until the next timer (0: none, block), or -1 when one is due. */
    private long timeoutMillis() {
        Timer next;
        while ((next = timers.peek()) != null && next.cancelled) {
            timers.poll();
        }
        if (next == null) {
            return 0;
        }
        long nanos = next.deadline - System.nanoTime();
        return nanos <= 0 ? -1 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos + 999_999));
    }

    private void ready(SelectionKey key) {
        try {
            ((Handler) key.attachment()).ready(key);
        } catch (RuntimeException | Error e) {
            contain(e, "a link's I/O");
            key.cancel();
            closeQuietly(key);
        }
    }

    private void runTasks() {
        for (int i = 0; i < TASKS_PER_TURN; i++) {
            Runnable task = tasks.poll();
            if (task == null) {
                return;
            }
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                contain(e, "a task");
            }
        }
    }

    private void runTimers() {
        long now = System.nanoTime();
        Timer next;
        while ((next = timers.peek()) != null && (next.cancelled || next.deadline - now <= 0)) {
            timers.poll();
            if (!next.cancelled) {
                try {
                    next.task.run();
                } catch (RuntimeException | Error e) {
                    contain(e, "a timer");
                }
            }
        }
    }

    /** The links' own code contains its failures; one that escapes is logged, unless nothing can be trusted. */
    private void contain(Throwable e, String where) {
        if (!Failures.containable(e)) {
            throw (Error) e;
        }
        logQuietly(where, e);
    }

    /** Logging can fail too (its classes would not load without a free file descriptor): then it is skipped. */
    private void logQuietly(String where, Throwable e) {
        try {
            log.error("{} failed on I/O loop {}", where, thread.getName(), e);
        } catch (Throwable ignored) {
            // Nothing else to tell it with.
        }
    }

    /** Out of memory or worse: as for an actor (docs/operations.md), the process exits for its supervisor. */
    private void fatal(Throwable e) {
        running = false;
        log.error("fatal error on I/O loop {}: exiting", thread.getName(), e);
        Thread exit = new Thread(() -> System.exit(-1), "courier-fatal-exit");
        exit.start();
    }

    private void closeAll() {
        try {
            for (SelectionKey key : selector.keys()) {
                closeQuietly(key);
            }
            selector.close();
        } catch (IOException | RuntimeException | Error e) {
            logQuietly("closing", e);
        }
        tasks.clear();
    }

    private static void closeQuietly(SelectionKey key) {
        try {
            key.channel().close();
        } catch (IOException e) {
            // Closing is all that is left to do with it.
        }
    }
}
