package io.courier.bench.raw;

import io.courier.loadgen.ProcessCpu;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Throughput of the broker alone, without any client library: each publisher writes one pre-encoded publish frame
 * repeated to fill {@value #WRITE_BYTES}-byte writes, then a ping whose answer says the broker has read them all;
 * each subscriber reads in 1 MiB chunks and only counts message frames. The clock runs from the first write to the
 * last delivery; this JVM's CPU time and the broker's are read over the same run, so the table shows which of the
 * two was the busy one.
 */
public final class RawPubSub {

    /** Bytes per socket write: whole frames, as many as fit. */
    static final int WRITE_BYTES = 256 * 1024;

    /** What to run; {@code brokerPid} (when > 0) is the broker's process, whose CPU time is read on Linux. */
    public record Settings(long messages, int size, int publishers, int subscribers, Duration timeout, Duration quiet,
                           long brokerPid) {
        public Settings {
            if (messages < publishers || size < 0 || publishers < 1 || subscribers < 0) {
                throw new IllegalArgumentException("need publishers >= 1, messages >= publishers, size and "
                        + "subscribers >= 0; got " + messages + " messages, size " + size + ", " + publishers
                        + " publishers, " + subscribers + " subscribers");
            }
        }
    }

    /** What was measured; CPU figures are nanoseconds over the run, -1 when not read. */
    public record Result(String system, Settings settings, long published, long delivered, double seconds,
                         long generatorCpuNanos, long brokerCpuNanos) {

        public long expected() {
            return published * settings.subscribers();
        }

        public long missing() {
            return expected() - delivered;
        }

        public double deliveredPerSecond() {
            return delivered / seconds;
        }

        public String format() {
            return String.format(Locale.ROOT, "%s raw %d->%d %d B: published %,d, delivered %,d of %,d, missing %,d "
                    + "in %.3f s (%,.0f msgs/s); CPU: generator %.2f s, broker %.2f s", system, settings.publishers(),
                    settings.subscribers(), settings.size(), published, delivered, expected(), missing(), seconds,
                    deliveredPerSecond(), generatorCpuNanos / 1e9, brokerCpuNanos / 1e9);
        }
    }

    private RawPubSub() {
    }

    public static Result run(Wire wire, String host, int port, Settings settings) throws IOException,
            InterruptedException {
        InetSocketAddress address = new InetSocketAddress(host, port);
        String topic = wire.topic("bench.raw." + Long.toHexString(System.nanoTime()));
        long perPublisher = settings.messages() / settings.publishers();
        long total = perPublisher * settings.publishers();
        List<RawConnection> subscribers = new ArrayList<>();
        List<RawConnection> publishers = new ArrayList<>();
        try {
            for (int i = 0; i < settings.subscribers(); i++) {
                RawConnection s = RawConnection.open(wire, address, "raw-sub-" + i);
                subscribers.add(s);
                s.subscribe(topic, i + 1);
            }
            for (int i = 0; i < settings.publishers(); i++) {
                publishers.add(RawConnection.open(wire, address, "raw-pub-" + i));
            }
            byte[] frame = wire.publish(topic, new byte[settings.size()]);
            int perWrite = Math.max(1, WRITE_BYTES / frame.length);
            ByteBuffer batch = ByteBuffer.allocateDirect(perWrite * frame.length);
            for (int i = 0; i < perWrite; i++) {
                batch.put(frame);
            }
            AtomicLong published = new AtomicLong();
            AtomicReference<IOException> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            long generatorCpuStart = ProcessCpu.selfNanos();
            long brokerCpuStart = ProcessCpu.nanos(settings.brokerPid());
            long start = System.nanoTime();
            long deadline = start + settings.timeout().toNanos();
            for (RawConnection p : publishers) {
                ByteBuffer mine = batch.duplicate();
                Thread t = new Thread(() -> {
                    try {
                        long left = perPublisher;
                        while (left > 0 && System.nanoTime() < deadline) {
                            int n = (int) Math.min(perWrite, left);
                            mine.limit(n * frame.length).position(0);
                            p.write(mine);
                            left -= n;
                            published.addAndGet(n);
                        }
                        // The broker may hold the publisher back (flow control): its last frames may take a while.
                        p.sync(Duration.ofNanos(Math.max(deadline - System.nanoTime(), 10_000_000_000L)));
                    } catch (IOException e) {
                        failure.compareAndSet(null, e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "raw-publisher");
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
            if (failure.get() != null) {
                throw failure.get();
            }
            awaitDeliveries(subscribers, total, deadline, settings.quiet());
            long generatorCpuEnd = ProcessCpu.selfNanos();
            long brokerCpuEnd = ProcessCpu.nanos(settings.brokerPid());
            long delivered = 0;
            long last = start;
            for (RawConnection s : subscribers) {
                delivered += s.messages();
                last = Math.max(last, s.lastMessageNanos());
            }
            long end = subscribers.isEmpty() ? System.nanoTime() : last;
            return new Result(wire.system(), settings, published.get(), delivered, Math.max(1, end - start) / 1e9,
                    difference(generatorCpuStart, generatorCpuEnd), difference(brokerCpuStart, brokerCpuEnd));
        } finally {
            publishers.forEach(RawConnection::close);
            subscribers.forEach(RawConnection::close);
        }
    }

    private static long difference(long before, long after) {
        return before < 0 || after < 0 ? -1 : after - before;
    }

    /** Until every subscriber has {@code total}, the deadline passed, or nothing arrived for {@code quiet}. */
    private static void awaitDeliveries(List<RawConnection> subscribers, long total, long deadline, Duration quiet)
            throws InterruptedException {
        long seen = -1;
        long lastProgress = System.nanoTime();
        while (true) {
            long delivered = 0;
            boolean all = true;
            for (RawConnection s : subscribers) {
                delivered += s.messages();
                all &= s.messages() >= total || s.failure() != null;
            }
            long now = System.nanoTime();
            if (all || now > deadline) {
                return;
            }
            if (delivered != seen) {
                seen = delivered;
                lastProgress = now;
            } else if (now - lastProgress > quiet.toNanos()) {
                return;
            }
            Thread.sleep(10);
        }
    }
}
