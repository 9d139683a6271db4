package io.courier.bench.cluster;

import io.courier.bench.NatsDriver;
import io.courier.loadgen.CourierDriver;
import io.courier.loadgen.Driver;
import io.courier.loadgen.LatencyBench;
import io.courier.loadgen.PubSubBench;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Throughput (1 -> 1 and 1 -> 10 at 128 B), request/reply ping-pong and interest propagation, with the publishing
 * side (publishers, requester) on one broker and the receiving side (subscribers, responder) on another; both the
 * same broker for the single-node figures. The same scenario code runs against Courier and NATS through each one's
 * own Java client ({@link CourierDriver}, {@link NatsDriver}).
 */
final class ClusterLoad {

    record Settings(String system, String pubServer, String subServer, double scale, int interestRounds,
                    Duration warmUp) { }

    private final Settings settings;
    private final Figures figures;
    private final Cpu cpu;

    ClusterLoad(Settings settings, Figures figures, Cpu cpu) {
        this.settings = settings;
        this.figures = figures;
        this.cpu = cpu;
    }

    static Driver driver(String system, String server) {
        return switch (system) {
            case "courier" -> new CourierDriver(List.of(server));
            case "nats" -> new NatsDriver(server);
            default -> throw new IllegalArgumentException("unknown system " + system + ": courier or nats");
        };
    }

    /**
     * Publishers and the requester connect to the publishing broker, subscribers and the responder to the receiving
     * one: the benches name their connections, so the unchanged {@link PubSubBench} and {@link LatencyBench} run
     * across brokers.
     */
    static final class SplitDriver implements Driver {
        private final Driver pubSide;
        private final Driver subSide;

        SplitDriver(Driver pubSide, Driver subSide) {
            this.pubSide = pubSide;
            this.subSide = subSide;
        }

        @Override
        public String system() {
            return pubSide.system();
        }

        @Override
        public String topic(String dotted) {
            return pubSide.topic(dotted);
        }

        @Override
        public Link connect(String clientName) throws Exception {
            boolean receiving = clientName.startsWith("bench-sub") || clientName.equals("bench-responder");
            if (!receiving) {
                return pubSide.connect(clientName);
            }
            Link link = subSide.connect(clientName);
            return clientName.startsWith("bench-sub-interest") ? link : new AwaitingInterest(link);
        }

        /**
         * A subscription returns once the publishing broker routes to it, as it does on a single broker: without
         * this, a publisher that starts at once loses what it sends before the interest has crossed (in the first
         * full run, 1,617 and 5,063 of 1,000,000 for Courier, whose interest takes a few ms). Probes are 3 bytes,
         * which no scenario's payload is, and are not passed on.
         */
        private final class AwaitingInterest implements Link {
            private final Link link;

            AwaitingInterest(Link link) {
                this.link = link;
            }

            @Override
            public void subscribe(String topic, java.util.function.Consumer<byte[]> handler) throws Exception {
                CountDownLatch probed = new CountDownLatch(1);
                link.subscribe(topic, p -> {
                    if (p.length == PROBE.length) {
                        probed.countDown();
                    } else {
                        handler.accept(p);
                    }
                });
                awaitRoute(topic, probed);
            }

            @Override
            public void respond(String topic) throws Exception {
                link.respond(topic);
                // The responder echoes probes to their reply topic; a request that gets an answer proves the route.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                try (Link probe = pubSide.connect("bench-route-probe")) {
                    while (System.nanoTime() < deadline) {
                        try {
                            probe.request(topic, new byte[8], Duration.ofMillis(100)).get();
                            return;
                        } catch (java.util.concurrent.ExecutionException e) {
                            // no route yet (timeout or no responders): again
                        }
                    }
                }
                throw new IllegalStateException("the responder's interest did not reach the publishing broker in 10 s");
            }

            private void awaitRoute(String topic, CountDownLatch probed) throws Exception {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                try (Link probe = pubSide.connect("bench-route-probe")) {
                    while (!probed.await(1, TimeUnit.MILLISECONDS)) {
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException("the interest in " + topic
                                    + " did not reach the publishing broker in 10 s");
                        }
                        probe.publish(topic, PROBE);
                        probe.flush(Duration.ofSeconds(5));
                    }
                }
            }

            @Override
            public void publish(String topic, byte[] payload) throws Exception {
                link.publish(topic, payload);
            }

            @Override
            public java.util.concurrent.CompletableFuture<byte[]> request(String topic, byte[] payload,
                                                                          Duration timeout) {
                return link.request(topic, payload, timeout);
            }

            @Override
            public void flush(Duration timeout) throws Exception {
                link.flush(timeout);
            }

            @Override
            public long maxPayload() {
                return link.maxPayload();
            }

            @Override
            public void close() throws Exception {
                link.close();
            }
        }
    }

    private static final byte[] PROBE = {'p', 'r', 'b'};

    void run() throws Exception {
        Driver driver = new SplitDriver(driver(settings.system(), settings.pubServer()),
                driver(settings.system(), settings.subServer()));
        warmUp(driver);
        long messages = Math.max(1000, Math.round(1_000_000 * settings.scale()));
        throughput(driver, "1->1 128 B", messages, 1);
        throughput(driver, "1->10 128 B", messages, 10);
        pingPong(driver);
        interest(driver);
    }

    private void warmUp(Driver driver) throws Exception {
        long end = System.nanoTime() + settings.warmUp().toNanos();
        int runs = 0;
        do {
            PubSubBench.Result r = PubSubBench.run(driver, new PubSubBench.Settings(200_000, 128, 1, 1,
                    Duration.ofSeconds(60), Duration.ofSeconds(3), 0));
            runs++;
            System.out.printf(Locale.ROOT, "  warm-up run %d: %,.0f msgs/s delivered, %d missing%n", runs,
                    r.deliveredPerSecond(), r.missing());
        } while (System.nanoTime() < end);
        LatencyBench.run(driver, new LatencyBench.Settings(2000, 1000, 128, 0, Duration.ofSeconds(5)));
    }

    private void throughput(Driver driver, String scenario, long messages, int subscribers) throws Exception {
        cpu.start();
        PubSubBench.Result r = PubSubBench.run(driver, new PubSubBench.Settings(messages, 128, 1, subscribers,
                Duration.ofSeconds(120), Duration.ofSeconds(3), 0));
        cpu.stop(figures, scenario);
        figures.add(scenario + ": published", r.publishedPerSecond(), "msgs/s", "higher");
        figures.add(scenario + ": delivered", r.deliveredPerSecond(), "msgs/s", "higher");
        figures.add(scenario + ": messages published", r.published(), "msgs", "none");
        figures.add(scenario + ": messages delivered", r.delivered(), "msgs", "none");
        figures.add(scenario + ": missing", r.missing(), "msgs", "none");
        figures.add(scenario + ": seconds, first publish to last delivery", r.seconds(), "s", "none");
    }

    private void pingPong(Driver driver) throws Exception {
        int requests = Math.max(1000, (int) Math.round(30_000 * settings.scale()));
        cpu.start();
        LatencyBench.Result r = LatencyBench.run(driver, new LatencyBench.Settings(requests, 5000, 128, 0,
                Duration.ofSeconds(5)));
        cpu.stop(figures, "ping-pong 128 B");
        Histogram h = r.nanos();
        figures.add("ping-pong 128 B: p50", h.getValueAtPercentile(50) / 1000.0, "us", "lower");
        figures.add("ping-pong 128 B: p99", h.getValueAtPercentile(99) / 1000.0, "us", "lower");
        figures.add("ping-pong 128 B: p99.9", h.getValueAtPercentile(99.9) / 1000.0, "us", "lower");
        figures.add("ping-pong 128 B: max", h.getMaxValue() / 1000.0, "us", "lower");
        figures.add("ping-pong 128 B: round trips timed", h.getTotalCount(), "round trips", "none");
        figures.add("ping-pong 128 B: failed", r.failed(), "round trips", "none");
    }

    /**
     * SUB on the receiving broker, while a publisher on the publishing broker sends to the same fresh topic every
     * 100 us or so; the delay is from just before the SUB is sent to the first message's arrival. 20 unrecorded
     * rounds first.
     */
    private void interest(Driver driver) throws Exception {
        int rounds = settings.interestRounds();
        Histogram micros = new Histogram(60_000_000L, 3);
        long timedOut = 0;
        String run = Long.toHexString(System.nanoTime());
        byte[] payload = new byte[16];
        try (Driver.Link pub = driver.connect("bench-interest-pub");
             Driver.Link sub = driver.connect("bench-sub-interest")) {
            Publisher publisher = new Publisher(pub, payload);
            Thread t = new Thread(publisher, "interest-publisher");
            t.setDaemon(true);
            t.start();
            for (int i = -20; i < rounds; i++) {
                String topic = driver.topic("bench.interest." + run + "." + (i + 20));
                AtomicLong first = new AtomicLong();
                CountDownLatch arrived = new CountDownLatch(1);
                publisher.topic = topic;
                long t0 = System.nanoTime();
                sub.subscribe(topic, p -> {
                    if (first.compareAndSet(0, System.nanoTime())) {
                        arrived.countDown();
                    }
                });
                boolean ok = arrived.await(10, TimeUnit.SECONDS);
                publisher.topic = null;
                if (i < 0) {
                    continue;
                }
                if (ok) {
                    micros.recordValue(Math.max(0, (first.get() - t0) / 1000));
                } else {
                    timedOut++;
                }
            }
            publisher.stop = true;
            t.join(5000);
            figures.add("interest propagation: publishes sent while waiting", publisher.sent.get(), "msgs", "none");
        }
        figures.add("interest propagation: p50", micros.getValueAtPercentile(50) / 1000.0, "ms", "lower");
        figures.add("interest propagation: p99", micros.getValueAtPercentile(99) / 1000.0, "ms", "lower");
        figures.add("interest propagation: max", micros.getMaxValue() / 1000.0, "ms", "lower");
        figures.add("interest propagation: rounds timed", micros.getTotalCount(), "rounds", "none");
        figures.add("interest propagation: rounds with no message in 10 s", timedOut, "rounds", "none");
    }

    private static final class Publisher implements Runnable {
        private final Driver.Link link;
        private final byte[] payload;
        volatile String topic;
        volatile boolean stop;
        final AtomicLong sent = new AtomicLong();

        Publisher(Driver.Link link, byte[] payload) {
            this.link = link;
            this.payload = payload;
        }

        @Override
        public void run() {
            while (!stop) {
                String t = topic;
                if (t != null) {
                    try {
                        link.publish(t, payload);
                        sent.incrementAndGet();
                    } catch (Exception e) {
                        System.err.println("interest publisher: " + e);
                    }
                }
                LockSupport.parkNanos(100_000);
            }
        }
    }
}
