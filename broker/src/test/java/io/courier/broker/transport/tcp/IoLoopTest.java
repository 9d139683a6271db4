package io.courier.broker.transport.tcp;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The I/O loop's hand-over from other threads: a task posted while the loop blocks in its selector must wake it (a
 * lost wake-up leaves the task, and the link it was for, waiting for the next socket event, which may never come).
 */
class IoLoopTest {

    private final IoLoops loops = new IoLoops(1, 64 * 1024);

    @AfterEach
    void close() {
        loops.close();
    }

    @Test
    void aTaskPostedWhileTheLoopSleepsRunsAtOnce() throws Exception {
        IoLoop loop = loops.next();
        // One at a time, each after the loop has had time to go back to sleep in select: every one must wake it.
        for (int i = 0; i < 2_000; i++) {
            CountDownLatch ran = new CountDownLatch(1);
            if (i % 2 == 0) {
                LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(200_000));
            }
            loop.execute(ran::countDown);
            assertThat(ran.await(5, TimeUnit.SECONDS)).as("task %d ran", i).isTrue();
        }
    }

    @Test
    void tasksFromManyThreadsAllRunInTheOrderEachThreadPostedThem() throws Exception {
        IoLoop loop = loops.next();
        int threads = 4;
        int perThread = 50_000;
        AtomicLong[] last = new AtomicLong[threads];
        AtomicInteger outOfOrder = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(threads * perThread);
        List<Thread> posters = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            last[t] = new AtomicLong(-1);
            Thread poster = new Thread(() -> {
                for (int n = 0; n < perThread; n++) {
                    long seq = n;
                    loop.execute(() -> {
                        if (last[id].getAndSet(seq) != seq - 1) {
                            outOfOrder.incrementAndGet();
                        }
                        all.countDown();
                    });
                    if (n % 1_000 == 0) {
                        LockSupport.parkNanos(100_000);
                    }
                }
            });
            posters.add(poster);
            poster.start();
        }
        for (Thread poster : posters) {
            poster.join();
        }
        assertThat(all.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(outOfOrder).hasValue(0);
    }

    @Test
    void timersFireInDeadlineOrderAndACancelledOneNever() throws Exception {
        IoLoop loop = loops.next();
        List<Integer> fired = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> {
            loop.schedule(TimeUnit.MILLISECONDS.toNanos(60), () -> fired.add(3));
            loop.schedule(TimeUnit.MILLISECONDS.toNanos(20), () -> fired.add(1));
            IoLoop.Timer cancelled = loop.schedule(TimeUnit.MILLISECONDS.toNanos(30), () -> fired.add(99));
            loop.schedule(TimeUnit.MILLISECONDS.toNanos(40), () -> fired.add(2));
            loop.schedule(TimeUnit.MILLISECONDS.toNanos(80), done::countDown);
            cancelled.cancel();
        });
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        CountDownLatch read = new CountDownLatch(1);
        List<Integer> seen = new ArrayList<>();
        loop.execute(() -> {
            seen.addAll(fired);
            read.countDown();
        });
        assertThat(read.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(seen).containsExactly(1, 2, 3);
    }
}
