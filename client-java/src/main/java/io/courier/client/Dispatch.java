package io.courier.client;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Threads shared by all connections of the JVM: a cached pool of daemon threads that runs message handlers,
 * listener calls and request completions, and one timer thread for heartbeats and request timeouts.
 */
final class Dispatch {

    private static final Logger log = LoggerFactory.getLogger(Dispatch.class);

    private static final ExecutorService POOL = Executors.newCachedThreadPool(daemon("courier-dispatch-", true));
    private static final ScheduledThreadPoolExecutor TIMER = newTimer();

    private Dispatch() {
    }

    static Executor pool() {
        return POOL;
    }

    /** Only for short tasks: anything that may block or run user code goes on to {@link #pool()}. */
    static ScheduledExecutorService timer() {
        return TIMER;
    }

    private static ScheduledThreadPoolExecutor newTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, daemon("courier-timer", false));
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    static ThreadFactory daemon(String name, boolean numbered) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread t = new Thread(task, numbered ? name + count.incrementAndGet() : name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Runs tasks one at a time, in submission order, on the shared pool; a failing task is logged and skipped. */
    static final class SerialExecutor implements Executor {
        private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean scheduled = new AtomicBoolean();

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
            if (scheduled.compareAndSet(false, true)) {
                POOL.execute(this::drain);
            }
        }

        private void drain() {
            while (true) {
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        log.warn("connection listener threw; ignoring it", e);
                    }
                }
                scheduled.set(false);
                if (tasks.isEmpty() || !scheduled.compareAndSet(false, true)) {
                    return;
                }
            }
        }
    }
}
