package io.courier.loadgen;

import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.Delivery;
import io.courier.client.Options;
import io.courier.client.UdpCounters;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * A game's position updates: {@code players} clients, each its own {@link Connection} (with UDP bound for the UDP
 * run), in regions of {@code regionSize} consecutive players (player {@code p} is in region {@code p / regionSize}).
 * Every player publishes its position {@code rate} times a second to {@code game.region.<r>.pos} and is subscribed
 * to that topic, with no echo, so each update is due to the other members of its region. The players' ticks are
 * spread evenly over the tick period and driven by a few generator threads, not one thread per player.
 *
 * <p>Only updates sent in the measured window (after {@code warmup}, for {@code duration}) count: their delivery
 * latency (arrival minus the send time carried in the payload; one JVM, one clock), how many of the deliveries due
 * did not arrive (lost), and the CPU the broker ({@code /proc/PID/stat}) and this JVM used over the window. An
 * overloaded path shows as latency and as {@code catchUpSeconds}, how long after the window the last measured update
 * arrived (deliveries are waited for until none came for {@code drain}).
 */
public final class GameBench {

    /** Player number, update number, send time: the rest of the payload is the "position". */
    public static final int MIN_SIZE = 16;

    public record Settings(int players, int regionSize, int rate, int size, Duration warmup, Duration duration,
                           Duration drain, int threads, long brokerPid) {
        public Settings {
            if (players < 2 || regionSize < 2 || rate < 1 || size < MIN_SIZE || threads < 1) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "need players >= 2, region size >= 2,"
                        + " rate >= 1, size >= %d, threads >= 1; got %d, %d, %d, %d, %d", MIN_SIZE, players,
                        regionSize, rate, size, threads));
            }
        }

        public int regions() {
            return (players + regionSize - 1) / regionSize;
        }

        /** Members of player {@code p}'s region other than {@code p}: who an update of {@code p} is due to. */
        int peers(int p) {
            int region = p / regionSize;
            int members = Math.min(players, (region + 1) * regionSize) - region * regionSize;
            return members - 1;
        }
    }

    /**
     * One transport's run. {@code due} deliveries of measured updates, {@code delivered} of them arrived; latency in
     * microseconds; {@code lateSends} measured updates the generator sent more than one tick period after their
     * schedule (it was behind); CPU nanoseconds over the measured window (-1 when not read); {@code udp} the client
     * counters summed over all players (null over TCP).
     */
    public record Result(String transport, Settings settings, long published, long due, long delivered,
                         Histogram micros, double seconds, long lateSends, long generatorCpuNanos,
                         long brokerCpuNanos, UdpCounters udp, double connectSeconds, double catchUpSeconds) {
        public long lost() {
            return due - delivered;
        }

        public double lostPercent() {
            return due == 0 ? 0 : lost() * 100.0 / due;
        }

        public double publishedPerSecond() {
            return published / seconds;
        }

        public double deliveredPerSecond() {
            return delivered / seconds;
        }

        public double brokerCpuPercent() {
            return brokerCpuNanos < 0 ? -1 : brokerCpuNanos / 1e9 / seconds * 100;
        }

        public double generatorCpuPercent() {
            return generatorCpuNanos < 0 ? -1 : generatorCpuNanos / 1e9 / seconds * 100;
        }
    }

    private static final long EARLY = 500_000;

    private GameBench() {
    }

    public static String topic(int region) {
        return "game.region." + region + ".pos";
    }

    /** Runs the workload once over {@code udp} or TCP, each player with its own new connection. */
    public static Result run(List<String> servers, Settings s, boolean udp) throws Exception {
        int n = s.players();
        Connection[] players = new Connection[n];
        Recorder recorder = new Recorder(TimeUnit.SECONDS.toMicros(60), 3);
        LongAdder delivered = new LongAdder();
        AtomicLong lastArrival = new AtomicLong();
        // Set once the window is known; updates stamped outside it are not counted.
        AtomicLong windowFrom = new AtomicLong(Long.MAX_VALUE);
        AtomicLong windowTo = new AtomicLong(Long.MAX_VALUE);
        ExecutorService connector = Executors.newFixedThreadPool(Math.min(16, n), r -> {
            Thread t = new Thread(r, "game-connect");
            t.setDaemon(true);
            return t;
        });
        long connectStart = System.nanoTime();
        try {
            List<Future<?>> connecting = new ArrayList<>();
            for (int p = 0; p < n; p++) {
                int player = p;
                connecting.add(connector.submit(() -> {
                    Connection c = Courier.connect(Options.builder().servers(servers).name("game-player-" + player)
                            .noEcho(true).udp(udp).subscriptionPendingLimit(1 << 16).build());
                    players[player] = c;
                    c.subscribe(topic(player / s.regionSize()), m -> {
                        long now = System.nanoTime();
                        long sent = ByteBuffer.wrap(m.payload()).getLong(8);
                        if (sent >= windowFrom.get() && sent < windowTo.get()) {
                            recorder.recordValue(Math.min(TimeUnit.SECONDS.toMicros(60),
                                    Math.max(0, now - sent) / 1000));
                            delivered.increment();
                            lastArrival.accumulateAndGet(now, Math::max);
                        }
                    }, udp ? Delivery.UDP : Delivery.TCP);
                    c.flush(Duration.ofSeconds(30));
                    return null;
                }));
            }
            for (Future<?> f : connecting) {
                f.get(5, TimeUnit.MINUTES);
            }
            double connectSeconds = (System.nanoTime() - connectStart) / 1e9;

            long period = 1_000_000_000L / s.rate();
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
            long measureFrom = start + s.warmup().toNanos();
            long measureTo = measureFrom + s.duration().toNanos();
            windowTo.set(measureTo);
            windowFrom.set(measureFrom);
            AtomicLong published = new AtomicLong();
            AtomicLong due = new AtomicLong();
            AtomicLong late = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> generators = new ArrayList<>();
            for (int t = 0; t < s.threads(); t++) {
                int first = t;
                Thread g = new Thread(() -> {
                    try {
                        generate(s, players, first, start, period, measureFrom, measureTo, udp, published, due, late);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "game-generator-" + t);
                g.setDaemon(true);
                generators.add(g);
            }
            // Read the CPU counters as close to the window's edges as this thread can.
            generators.forEach(Thread::start);
            LatencyBench.pace(measureFrom);
            long generatorCpu0 = ProcessCpu.selfNanos();
            long brokerCpu0 = ProcessCpu.nanos(s.brokerPid());
            LatencyBench.pace(measureTo);
            long generatorCpu1 = ProcessCpu.selfNanos();
            long brokerCpu1 = ProcessCpu.nanos(s.brokerPid());
            for (Thread g : generators) {
                g.join();
            }
            if (failure.get() != null) {
                throw new IllegalStateException("a game generator failed: " + failure.get(), failure.get());
            }
            // Deliveries still in flight: until all due arrived or nothing arrived for the drain time.
            long lastSeen = delivered.sum();
            long lastProgress = System.nanoTime();
            while (delivered.sum() < due.get() && System.nanoTime() - lastProgress < s.drain().toNanos()) {
                Thread.sleep(20);
                long d = delivered.sum();
                if (d != lastSeen) {
                    lastSeen = d;
                    lastProgress = System.nanoTime();
                }
            }
            UdpCounters counters = null;
            if (udp) {
                long[] sum = new long[7];
                for (Connection c : players) {
                    UdpCounters u = c.udpCounters();
                    sum[0] += u.datagramsSent();
                    sum[1] += u.notSent();
                    sum[2] += u.datagramsReceived();
                    sum[3] += u.gaps();
                    sum[4] += u.late();
                    sum[5] += u.resyncs();
                    sum[6] += u.resyncMessages();
                }
                counters = new UdpCounters(sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], sum[6]);
            }
            return new Result(udp ? "udp" : "tcp", s, published.get(), due.get(), delivered.sum(),
                    recorder.getIntervalHistogram(), (measureTo - measureFrom) / 1e9, late.get(),
                    difference(generatorCpu0, generatorCpu1), difference(brokerCpu0, brokerCpu1), counters,
                    connectSeconds, Math.max(0, lastArrival.get() - measureTo) / 1e9);
        } finally {
            List<Future<?>> closing = new ArrayList<>();
            for (Connection c : players) {
                if (c != null) {
                    closing.add(connector.submit(c::close));
                }
            }
            for (Future<?> f : closing) {
                try {
                    f.get(1, TimeUnit.MINUTES);
                } catch (Exception e) {
                    System.err.println("close failed: " + e);
                }
            }
            connector.shutdownNow();
        }
    }

    /**
     * Generator thread {@code first} of {@code s.threads()}: players first, first + threads, ... Player p's tick k
     * is due at {@code start + k * period + p * period / players}, so the whole population's updates are spread
     * evenly over each period.
     */
    private static void generate(Settings s, Connection[] players, int first, long start, long period,
                                 long measureFrom, long measureTo, boolean udp, AtomicLong published, AtomicLong due,
                                 AtomicLong late) {
        int n = players.length;
        int step = s.threads();
        int[] seq = new int[n];
        for (long tick = 0; ; tick++) {
            long tickStart = start + tick * period;
            if (tickStart >= measureTo) {
                return;
            }
            for (int p = first; p < n; p += step) {
                long scheduled = tickStart + p * period / n;
                if (scheduled >= measureTo) {
                    return;
                }
                // Up to half a millisecond early, so a thread wakes once for the few players due together.
                long now = System.nanoTime();
                if (scheduled - now > EARLY) {
                    LatencyBench.pace(scheduled - EARLY);
                    now = System.nanoTime();
                }
                byte[] payload = new byte[s.size()];
                ByteBuffer b = ByteBuffer.wrap(payload);
                b.putInt(0, p).putInt(4, ++seq[p]).putLong(8, now);
                // The rest: a position (x, y, z) and heading, as a game would send.
                if (s.size() >= 32) {
                    b.putFloat(16, p * 1.5f).putFloat(20, seq[p] * 0.1f).putFloat(24, 0f).putFloat(28, 90f);
                }
                String topic = topic(p / s.regionSize());
                if (udp) {
                    players[p].publishUdp(topic, payload);
                } else {
                    players[p].publish(topic, payload);
                }
                if (now >= measureFrom && now < measureTo) {
                    published.incrementAndGet();
                    due.addAndGet(s.peers(p));
                    if (now - scheduled > period) { // behind by more than a tick
                        late.incrementAndGet();
                    }
                }
            }
        }
    }

    private static long difference(long before, long after) {
        return before < 0 || after < 0 ? -1 : after - before;
    }
}
