package io.courier.bench;

import io.courier.bench.Measurement.Better;
import io.courier.bench.raw.RawPubSub;
import io.courier.loadgen.LatencyBench;
import io.courier.loadgen.PubSubBench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The comparison scenarios, run one after another against one system: through its own Java client (a
 * {@link io.courier.loadgen.Driver}), then as raw frames without any client library ({@link RawPubSub}). Every system
 * gets the identical sequence and counts; {@code scale} shrinks the counts for a smoke run. Every throughput scenario
 * reports what was published, delivered and missing, and the CPU the load generator and the broker used, so the
 * table shows which of the two was the limit. Each figure is appended to the results file as soon as it is measured,
 * so an interrupted run keeps what it had.
 */
public final class Suite {

    /**
     * How to run: counts are multiplied by {@code scale}; {@code host} and {@code port} are the broker's, whose
     * process id (when > 0) lets the suite read its memory.
     */
    public record Settings(double scale, String host, int port, long brokerPid, Path results, int idleConnections,
                           Duration idleHold) {
        public Settings {
            if (scale <= 0) {
                throw new IllegalArgumentException("scale must be > 0");
            }
        }
    }

    private static final double MIB = 1024.0 * 1024.0;
    private static final int[] SIZES = {16, 128, 1024, 64 * 1024};
    private static final Duration WARM_UP = Duration.ofSeconds(15);

    private final Contender contender;
    private final Settings settings;
    private final List<Measurement> measured = new ArrayList<>();

    public Suite(Contender contender, Settings settings) {
        this.contender = contender;
        this.settings = settings;
    }

    public List<Measurement> run() throws Exception {
        // First, while the broker is fresh: its idle memory is what a newly started broker costs, not what the load
        // scenarios left behind in a grown heap.
        idleConnections();
        warmUp();
        for (int size : SIZES) {
            // The same bytes in flight for every size, within what a 2-core machine moves in a few seconds.
            long messages = Math.min(1_000_000, 1_300_000_000L / size / 1000 * 1000);
            throughput("1->1 " + sizeName(size), messages, size, 1, 1);
        }
        throughput("1->10 128 B", 1_000_000, 128, 1, 10);
        throughput("10->1 128 B", 1_000_000, 128, 10, 1);
        raw("raw frames 1->1 16 B", 5_000_000, 16, 1, 1);
        raw("raw frames 1->1 128 B", 4_000_000, 128, 1, 1);
        raw("raw frames 1->10 128 B", 1_000_000, 128, 1, 10);
        latency("request/reply 128 B ping-pong", 0, 20_000);
        latency("request/reply 128 B at 1,000/s", 1_000, 10_000);
        latency("request/reply 128 B at 10,000/s", 10_000, 50_000);
        brokerMemoryAfterLoad();
        return measured;
    }

    /**
     * 1 -> 1 runs of 200,000 messages until {@link #WARM_UP} (scaled) has passed, at least one. A single run was
     * too short for a JVM broker: C2 was still compiling the broker's hot path during the measured scenarios, and
     * the same 1 -> 1 command gave 788,000 msgs/s over 1,000,000 messages against 1,465,000 over 6,000,000. A
     * broker that is slower to warm (Mosquitto here) does one run, as before.
     */
    private void warmUp() throws Exception {
        log("warm-up");
        long until = System.nanoTime() + Math.round(WARM_UP.toNanos() * settings.scale());
        do {
            PubSubBench.run(contender.client(), new PubSubBench.Settings(count(200_000), 128, 1, 1,
                    Duration.ofMinutes(2)));
        } while (System.nanoTime() < until);
    }

    private void throughput(String scenario, long messages, int size, int publishers, int subscribers)
            throws Exception {
        log(scenario);
        PubSubBench.Result r = PubSubBench.run(contender.client(), new PubSubBench.Settings(count(messages), size,
                publishers, subscribers, Duration.ofMinutes(3), Duration.ofSeconds(3), settings.brokerPid()));
        String detail = String.format(Locale.ROOT, "published %,d of %,d (%,.0f msgs/s), delivered %,d of %,d in "
                + "%.2f s, missing %,d", r.published(), r.planned(), r.publishedPerSecond(), r.delivered(),
                r.expected(), r.seconds(), r.missing());
        record(scenario, "delivered", r.deliveredPerSecond(), "msgs/s", Better.HIGHER, detail, null);
        counts(scenario, r.published(), r.delivered(), r.missing());
        cpu(scenario, r.generatorCpuNanos(), r.brokerCpuNanos(), r.seconds());
    }

    /** The broker alone: pre-encoded frames in large writes, frames counted on the subscriber's side. */
    private void raw(String scenario, long messages, int size, int publishers, int subscribers) throws Exception {
        log(scenario);
        RawPubSub.Result r = RawPubSub.run(contender.wire(), settings.host(), settings.port(),
                new RawPubSub.Settings(count(messages), size, publishers, subscribers, Duration.ofMinutes(3),
                        Duration.ofSeconds(3), settings.brokerPid()));
        String detail = String.format(Locale.ROOT, "published %,d, delivered %,d of %,d in %.2f s, missing %,d",
                r.published(), r.delivered(), r.expected(), r.seconds(), r.missing());
        record(scenario, "delivered", r.deliveredPerSecond(), "msgs/s", Better.HIGHER, detail, null);
        counts(scenario, r.published(), r.delivered(), r.missing());
        cpu(scenario, r.generatorCpuNanos(), r.brokerCpuNanos(), r.seconds());
    }

    private void counts(String scenario, long published, long delivered, long missing) throws IOException {
        record(scenario, "published", published, "msgs", Better.NONE, "", null);
        record(scenario, "delivered", delivered, "msgs", Better.NONE, "", null);
        record(scenario, "missing", missing, "msgs", Better.NONE, "published but not delivered", null);
    }

    /** CPU over the measured seconds, as a share of one core: near 100 for a one-threaded broker is its limit. */
    private void cpu(String scenario, long generatorNanos, long brokerNanos, double seconds) throws IOException {
        if (generatorNanos >= 0) {
            record(scenario, "load generator CPU", generatorNanos / 1e9 / seconds * 100, "% of a core", Better.NONE,
                    String.format(Locale.ROOT, "%.2f s in %.2f s", generatorNanos / 1e9, seconds), null);
        }
        if (brokerNanos >= 0) {
            record(scenario, "broker CPU", brokerNanos / 1e9 / seconds * 100, "% of a core", Better.NONE,
                    String.format(Locale.ROOT, "%.2f s in %.2f s", brokerNanos / 1e9, seconds), null);
        }
    }

    private void latency(String scenario, int rate, int requests) throws Exception {
        log(scenario);
        int n = (int) count(requests);
        LatencyBench.Result r = LatencyBench.run(contender.client(), new LatencyBench.Settings(n, Math.max(1, n / 4), 128, rate,
                Duration.ofSeconds(5)));
        String detail = String.format(Locale.ROOT, "%,d requests, %,d failed, p99.9 %.0f us, max %.0f us",
                n, r.failed(), r.nanos().getValueAtPercentile(99.9) / 1000.0, r.nanos().getMaxValue() / 1000.0);
        record(scenario, "p50", r.nanos().getValueAtPercentile(50) / 1000.0, "us", Better.LOWER, detail, r.nanos());
        record(scenario, "p99", r.nanos().getValueAtPercentile(99) / 1000.0, "us", Better.LOWER, detail, null);
    }

    /** Many connections that only heartbeat: what each costs the broker in memory, and how fast it accepts them. */
    private void idleConnections() throws Exception {
        int n = settings.idleConnections();
        String scenario = String.format(Locale.ROOT, "%,d idle connections", n);
        log(scenario);
        long[] liveHeap = {-1};
        IdleConnections.Result r = IdleConnections.run(new IdleConnections.Settings(contender.idle(),
                settings.host(), settings.port(), n, settings.idleHold(), IdleConnections.DEFAULT_HEARTBEAT,
                settings.brokerPid()), phase -> {
                    if (phase == IdleConnections.Phase.END_OF_HOLD && contender.idle() == IdleConnections.Protocol.COURIER) {
                        liveHeap[0] = JvmHeap.liveBytes(settings.brokerPid());
                    }
                });
        String detail = String.format(Locale.ROOT, "%d handshakes, %d open at the end, %d lost; heartbeats: %d "
                + "server PINGs answered, %d client PINGs answered", r.handshakes(), r.openAtEnd(), r.lost(),
                r.serverPingsAnswered(), r.clientPingsAnswered());
        record(scenario, "open at the end of the hold", r.openAtEnd(), "connections", Better.HIGHER, detail, null);
        record(scenario, "handshakes", r.handshakes() / Math.max(0.001, r.connectTime().toNanos() / 1e9),
                "per s", Better.HIGHER, String.format(Locale.ROOT, "%d in %.2f s", r.handshakes(),
                        r.connectTime().toNanos() / 1e9), null);
        if (r.rssIdle() >= 0) {
            record(scenario, "broker RSS before connecting", r.rssIdle() / MIB, "MiB", Better.LOWER, "", null);
            record(scenario, "broker RSS at the end of the hold", r.rssEnd() / MIB, "MiB", Better.LOWER,
                    String.format(Locale.ROOT, "%.1f MiB when all had connected", r.rssConnected() / MIB), null);
        }
        if (liveHeap[0] >= 0) {
            record(scenario, "broker live heap at the end of the hold", liveHeap[0] / MIB, "MiB", Better.LOWER,
                    "heap in use after a full GC", null);
        }
    }

    /** What the load left behind: a JVM keeps the heap it grew to unless it is told to give it back. */
    private void brokerMemoryAfterLoad() throws IOException, InterruptedException {
        if (settings.brokerPid() <= 0) {
            return;
        }
        Thread.sleep(count(10_000));
        long rss = IdleConnections.rss(settings.brokerPid());
        if (rss >= 0) {
            record("after the load scenarios", "broker RSS 10 s later", rss / MIB, "MiB", Better.LOWER, "", null);
        }
    }

    private long count(long full) {
        return Math.max(1, Math.round(full * settings.scale()));
    }

    private void record(String scenario, String metric, double value, String unit, Better better,
                        String detail, org.HdrHistogram.Histogram distribution) throws IOException {
        Measurement m = new Measurement(contender.system(), scenario, metric, value, unit, better, detail,
                distribution);
        measured.add(m);
        log(String.format(Locale.ROOT, "  %s = %,.1f %s  %s", metric, value, unit, detail));
        if (settings.results() != null) {
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(settings.results(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND))) {
                w.println(m.toLine());
            }
        }
    }

    private void log(String line) {
        System.out.println("[" + contender.system() + "] " + line);
        System.out.flush();
    }

    static String sizeName(int size) {
        return size >= 1024 ? size / 1024 + " KiB" : size + " B";
    }
}
