package io.courier.bench.cluster;

import io.courier.client.Connection;
import io.courier.client.ConnectionEvent;
import io.courier.client.Courier;
import io.courier.client.Options;
import io.courier.loadgen.Driver;
import io.nats.client.ConnectionListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import org.HdrHistogram.Histogram;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * kill -9 recovery: N clients connected to the first broker, each with every broker in its server list (the two
 * others in alternating order, so a client library that reconnects to the next one in its list spreads them over
 * both survivors), each subscribed to one topic. A probe publisher on a surviving broker checks that every client
 * gets a probe before the kill; then the first broker is sent SIGKILL and the publisher sends a numbered probe every
 * {@code probeInterval}. The recovery time is from the kill to the publish of the first probe that reached every one
 * of the N clients (so its resolution is the probe interval): they are reconnected, resubscribed, and the interest
 * reached the broker the probe was published on. The clients' own reconnect events are timed as well.
 */
final class Recovery {

    record Settings(String system, List<String> servers, int clients, long killPid, String probeServer,
                    Duration probeInterval, Duration timeout, int connectThreads,
                    Duration natsReconnectWait, Duration natsReconnectJitter) { }

    private final Settings settings;
    private final Figures figures;
    private final int n;
    private final int words;
    private final int maxProbes;
    /** Per client: the first probe number received after the kill (0: none yet). */
    private final AtomicIntegerArray first;
    /** Per client: whether a probe sent before the kill reached it. */
    private final AtomicIntegerArray ready;
    /** Per client, {@code words} longs: a bit per probe number received after the kill. */
    private final AtomicLongArray seen;
    /** Per client: System.nanoTime() of its last reconnect event (0: none). */
    private final AtomicLongArray reconnected;
    /** Per client: how many reconnect events it had after the kill (more than one: it lost a new link again). */
    private final AtomicIntegerArray reconnects;
    private final String topic = "bench.recovery." + Long.toHexString(System.nanoTime());

    private final Cpu cpu;

    Recovery(Settings settings, Figures figures, Cpu cpu) {
        this.settings = settings;
        this.figures = figures;
        this.cpu = cpu;
        this.n = settings.clients();
        this.maxProbes = (int) (settings.timeout().toNanos() / settings.probeInterval().toNanos()) + 2;
        this.words = (maxProbes + 64) / 64;
        this.first = new AtomicIntegerArray(n);
        this.ready = new AtomicIntegerArray(n);
        this.seen = new AtomicLongArray(n * words);
        this.reconnected = new AtomicLongArray(n);
        this.reconnects = new AtomicIntegerArray(n);
    }

    /** A received probe, from any client's thread. */
    void received(int client, byte[] payload) {
        long seq = ByteBuffer.wrap(payload).getLong(0);
        if (seq < 0) {
            ready.set(client, 1);
            return;
        }
        if (seq >= maxProbes) {
            return;
        }
        first.compareAndSet(client, 0, (int) seq);
        int w = client * words + (int) (seq >>> 6);
        long bit = 1L << (seq & 63);
        long old;
        do {
            old = seen.get(w);
        } while ((old & bit) == 0 && !seen.compareAndSet(w, old, old | bit));
    }

    private boolean has(int client, int seq) {
        return (seen.get(client * words + (seq >>> 6)) & (1L << (seq & 63))) != 0;
    }

    /** One system's clients. */
    private interface Clients {
        void connect(int i, List<String> servers) throws Exception;

        /** Where client i is connected now, host:port, or "-". */
        String server(int i);

        /** Called every few ms by the monitor: a client library without handler threads is read here. */
        default void poll() {
        }
    }

    private final class CourierClients implements Clients {
        private final Connection[] connections = new Connection[n];

        @Override
        public void connect(int i, List<String> servers) throws Exception {
            Connection c = Courier.connect(Options.builder().servers(servers).name("recovery-" + i)
                    .maxReconnectAttempts(-1)
                    .connectionListener(e -> {
                        if (e.type() == ConnectionEvent.Type.RECONNECTED) {
                            reconnected.set(i, System.nanoTime());
                            reconnects.incrementAndGet(i);
                        }
                    }).build());
            c.subscribe(topic, m -> received(i, m.payload()));
            connections[i] = c;
        }

        @Override
        public String server(int i) {
            var a = connections[i] == null ? null : connections[i].connectedServer();
            return a == null ? "-" : a.getHostString() + ":" + a.getPort();
        }
    }

    private final java.util.concurrent.atomic.AtomicLong natsErrors = new java.util.concurrent.atomic.AtomicLong();

    private final class NatsClients implements Clients {
        private final io.nats.client.Connection[] connections = new io.nats.client.Connection[n];
        private final Subscription[] subscriptions = new Subscription[n];
        private final ExecutorService executor = Executors.newCachedThreadPool(daemons("nats-shared-"));
        private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, daemons("nats-timer-"));

        @Override
        public void connect(int i, List<String> servers) throws Exception {
            io.nats.client.Options options = new io.nats.client.Options.Builder()
                    .servers(servers.stream().map(s -> "nats://" + s).toArray(String[]::new))
                    .noRandomize() // the list's order, as the Courier client keeps it
                    .connectionName("recovery-" + i)
                    .maxReconnects(-1)
                    .reconnectWait(settings.natsReconnectWait()) // jnats' own default: 2 s
                    .reconnectJitter(settings.natsReconnectJitter()) // jnats' own default: 100 ms
                    .connectionTimeout(Duration.ofSeconds(2)) // Courier's connectTimeout default
                    .executor(executor).connectExecutor(executor).callbackExecutor(executor)
                    .scheduledExecutor(scheduler)
                    .errorListener(new io.nats.client.ErrorListener() {
                        @Override
                        public void exceptionOccurred(io.nats.client.Connection conn, Exception exp) {
                            natsErrors.incrementAndGet(); // counted, not logged: 5,000 clients log a lot
                        }
                    })
                    .connectionListener((ConnectionListener) (conn, type) -> {
                        if (type == ConnectionListener.Events.RECONNECTED) {
                            reconnected.set(i, System.nanoTime());
                            reconnects.incrementAndGet(i);
                        }
                    })
                    .build();
            io.nats.client.Connection c = Nats.connect(options);
            subscriptions[i] = c.subscribe(topic);
            c.flush(Duration.ofSeconds(10));
            connections[i] = c;
        }

        @Override
        public String server(int i) {
            String url = connections[i] == null ? null : connections[i].getConnectedUrl();
            return url == null ? "-" : url.replace("nats://", "");
        }

        /** jnats' synchronous subscriptions, read here: no dispatcher thread per client. */
        @Override
        public void poll() {
            for (int i = 0; i < n; i++) {
                Subscription s = subscriptions[i];
                if (s == null) {
                    continue;
                }
                try {
                    while (s.getPendingMessageCount() > 0) {
                        Message m = s.nextMessage(Duration.ofMillis(1));
                        if (m == null) {
                            break;
                        }
                        received(i, m.getData());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (RuntimeException e) {
                    // not usable while reconnecting; read again later
                }
            }
        }
    }

    private static ThreadFactory daemons(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    void run() throws Exception {
        Clients clients = settings.system().equals("nats") ? new NatsClients() : new CourierClients();
        List<String> s = settings.servers();
        String killed = s.get(0);
        List<String> even = List.of(s.get(0), s.get(1), s.get(2));
        List<String> odd = List.of(s.get(0), s.get(2), s.get(1));

        // Connect
        long connectStart = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(settings.connectThreads(), daemons("connect-"));
        List<Future<?>> done = new ArrayList<>();
        AtomicInteger failed = new AtomicInteger();
        for (int i = 0; i < n; i++) {
            int c = i;
            done.add(pool.submit(() -> {
                try {
                    clients.connect(c, c % 2 == 0 ? even : odd);
                } catch (Exception e) {
                    if (failed.incrementAndGet() <= 5) {
                        System.err.println("client " + c + " failed to connect: " + e);
                    }
                }
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
        figures.add("kill -9 recovery: " + n + " clients connected and subscribed, seconds", connectSeconds, "s", "none");
        figures.add("kill -9 recovery: clients that failed to connect", failed.get(), "clients", "none");
        System.out.println("    before the kill: " + placement(clients));

        Thread monitor = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                clients.poll();
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "recovery-monitor");
        monitor.setDaemon(true);
        monitor.start();

        Driver.Link probe = ClusterLoad.driver(settings.system(), settings.probeServer()).connect("recovery-probe");
        byte[] payload = new byte[16];

        // Every client hears a probe before the kill.
        long setupDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int before = 0;
        for (long k = -1; System.nanoTime() < setupDeadline; k--) {
            ByteBuffer.wrap(payload).putLong(0, k).putLong(8, System.nanoTime());
            probe.publish(topic, payload);
            probe.flush(Duration.ofSeconds(10));
            Thread.sleep(200);
            before = count(ready);
            if (before == n) {
                break;
            }
        }
        figures.add("kill -9 recovery: clients a probe reached before the kill", before, "clients", "none");
        Thread.sleep(1000);

        // Kill, then probe.
        ProcessHandle victim = ProcessHandle.of(settings.killPid()).orElseThrow(
                () -> new IllegalStateException("no process " + settings.killPid() + " to kill"));
        long interval = settings.probeInterval().toNanos();
        long[] published = new long[maxProbes];
        cpu.start();
        long kill = System.nanoTime();
        victim.destroyForcibly();
        int reachedAll = -1;
        int seq = 1;
        long deadline = kill + settings.timeout().toNanos();
        for (; seq < maxProbes && System.nanoTime() < deadline; seq++) {
            long due = kill + seq * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            published[seq] = System.nanoTime();
            ByteBuffer.wrap(payload).putLong(0, seq).putLong(8, published[seq]);
            try {
                probe.publish(topic, payload);
            } catch (Exception e) {
                System.err.println("probe " + seq + ": " + e);
            }
            if (seq % 10 == 0) {
                reachedAll = reachedAll(seq - 5); // probes up to 5 intervals old have had time to arrive
                if (reachedAll > 0) {
                    break;
                }
            }
        }
        cpu.stop(figures, "kill -9 recovery, from the kill to the end of probing");
        Thread.sleep(Math.max(500, 5 * interval / 1_000_000));
        if (reachedAll <= 0) {
            reachedAll = reachedAll(seq - 1);
        }
        monitor.interrupt();

        if (reachedAll > 0) {
            figures.add("kill -9 recovery: all " + n + " reconnected and resubscribed (first probe reaching all)",
                    (published[reachedAll] - kill) / 1e6, "ms", "lower");
        } else {
            figures.add("kill -9 recovery: all " + n + " reconnected and resubscribed (first probe reaching all)",
                    Double.NaN, "ms", "lower");
        }
        Histogram firstProbe = new Histogram(3_600_000_000L, 3);
        Histogram events = new Histogram(3_600_000_000L, 3);
        int never = 0;
        int noEvent = 0;
        int again = 0;
        for (int i = 0; i < n; i++) {
            int f = first.get(i);
            if (f > 0) {
                firstProbe.recordValue(Math.max(0, (published[f] - kill) / 1000));
            } else {
                never++;
            }
            if (reconnects.get(i) > 1) {
                again++;
            }
            long r = reconnected.get(i);
            if (r > kill) {
                events.recordValue((r - kill) / 1000);
            } else {
                noEvent++;
            }
        }
        figures.add("kill -9 recovery: first probe reaching a client, p50", firstProbe.getValueAtPercentile(50) / 1000.0,
                "ms", "lower");
        figures.add("kill -9 recovery: first probe reaching a client, p99", firstProbe.getValueAtPercentile(99) / 1000.0,
                "ms", "lower");
        figures.add("kill -9 recovery: clients no probe reached after the kill", never, "clients", "none");
        figures.add("kill -9 recovery: client's reconnect event, p50", events.getValueAtPercentile(50) / 1000.0, "ms",
                "lower");
        figures.add("kill -9 recovery: client's reconnect event, p99", events.getValueAtPercentile(99) / 1000.0, "ms",
                "lower");
        figures.add("kill -9 recovery: client's reconnect event, max", events.getMaxValue() / 1000.0, "ms", "lower");
        figures.add("kill -9 recovery: clients without a reconnect event", noEvent, "clients", "none");
        figures.add("kill -9 recovery: clients with more than one reconnect event", again, "clients", "none");
        figures.add("kill -9 recovery: probe interval", interval / 1e6, "ms", "none");
        System.out.println("    after the kill of " + killed + ": " + placement(clients) + "; threads in this JVM: "
                + Thread.activeCount() + (settings.system().equals("nats") ? "; jnats exceptions reported: "
                + natsErrors.get() : ""));
    }

    /** The first probe number in [1, upTo] that every client received, or -1. */
    private int reachedAll(int upTo) {
        int from = 0;
        for (int i = 0; i < n; i++) {
            int f = first.get(i);
            if (f == 0) {
                return -1;
            }
            from = Math.max(from, f);
        }
        for (int k = from; k <= upTo; k++) {
            boolean all = true;
            for (int i = 0; i < n && all; i++) {
                all = has(i, k);
            }
            if (all) {
                return k;
            }
        }
        return -1;
    }

    private static int count(AtomicIntegerArray a) {
        int c = 0;
        for (int i = 0; i < a.length(); i++) {
            c += a.get(i);
        }
        return c;
    }

    private String placement(Clients clients) {
        Map<String, Integer> by = new HashMap<>();
        for (int i = 0; i < n; i++) {
            by.merge(clients.server(i), 1, Integer::sum);
        }
        return String.format(Locale.ROOT, "clients by server %s", new java.util.TreeMap<>(by));
    }
}
