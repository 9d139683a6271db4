package io.courier.cli;

import io.courier.loadgen.CourierDriver;
import io.courier.loadgen.GameBench;
import io.courier.loadgen.LatencyBench;
import io.courier.loadgen.OneWayBench;
import io.courier.loadgen.PubSubBench;
import io.courier.loadgen.Report;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Load generators against a running broker; run the broker in another process for honest figures. Options are
 * checked before anything connects, and every error is one line starting with the command's full name: a bad option
 * through {@link UsageErrors} ({@code courier bench pubsub: --size must be at least 8 ...}, exit code 2), a failed
 * run as {@code courier bench pubsub: REASON} (exit code 1), with no results printed.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure a running broker (start it in another process: ./courier broker).",
                "Prints msgs/s, MB/s and latency percentiles (HdrHistogram)."},
        subcommands = {BenchCommand.PubSub.class, BenchCommand.Latency.class, BenchCommand.Game.class})
final class BenchCommand {

    private BenchCommand() {
    }

    /**
     * The largest payload a UDP publish to {@code topic} can carry under the default max datagram (1400 B): the
     * datagram head, the topic and the empty reply-to and header fields take the rest. A broker configured with a
     * smaller max datagram is caught by the client, which refuses the publish.
     */
    static int maxUdpPayload(String topic) {
        return io.courier.protocol.Datagram.DEFAULT_MAX_BYTES - io.courier.protocol.Datagram.PUB_HEAD_BYTES
                - (int) io.courier.protocol.Delivery.size(new byte[2 + topic.getBytes(StandardCharsets.UTF_8).length],
                io.courier.protocol.Delivery.EMPTY_FIELD, io.courier.protocol.Delivery.EMPTY_FIELD, 0);
    }

    /** A topic as long as the benches' longest generated one, for {@link #maxUdpPayload}. */
    private static final String LONGEST_BENCH_TOPIC = "bench.pubsub." + Long.toHexString(Long.MAX_VALUE);

    /** Prints {@code "courier bench NAME: message"} on standard error and returns {@code code}. */
    private static int fail(CommandSpec spec, int code, String message) {
        PrintWriter err = spec.commandLine().getErr();
        err.println(spec.qualifiedName() + ": " + message);
        err.flush();
        return code;
    }

    @Command(name = "pubsub", mixinStandardHelpOptions = true,
            description = {"Throughput: publishers send to one topic, every subscriber receives every message.",
                    "--udp: a TCP run, then the same over UDP (datagram publishes, UDP subscriptions) against the "
                            + "same broker, side by side; UDP is lossy, so its run ends when nothing arrived for 3 s "
                            + "and reports what was lost."})
    static final class PubSub implements Callable<Integer> {
        @Option(names = "--messages", defaultValue = "1000000", description = "messages in total (default: ${DEFAULT-VALUE})")
        long messages;
        @Option(names = "--size", defaultValue = "128", description = "payload bytes, at least 8 (default: ${DEFAULT-VALUE})")
        int size;
        @Option(names = "--publishers", defaultValue = "1", description = "publishing connections (default: ${DEFAULT-VALUE})")
        int publishers;
        @Option(names = "--subscribers", defaultValue = "1", description = "subscribing connections (default: ${DEFAULT-VALUE})")
        int subscribers;
        @Option(names = "--timeout", defaultValue = "120s", converter = Durations.class,
                description = "give up after this long (default: ${DEFAULT-VALUE})")
        Duration timeout;
        @Option(names = "--broker-pid", defaultValue = "0",
                description = "the broker's process id, to report its CPU time next to the load generator's (Linux)")
        long brokerPid;
        @Option(names = "--udp", description = "run over TCP, then over UDP, and print both side by side")
        boolean udp;
        @Option(names = "--rate", defaultValue = "0",
                description = "messages per second from all publishers together, 0 = as fast as they can; over UDP, "
                        + "which has no flow control, the rate it can carry without loss (default: ${DEFAULT-VALUE})")
        long rate;
        @Mixin
        ServerOption server;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            String invalid = invalid();
            if (invalid != null) {
                throw UsageErrors.of(spec, invalid);
            }
            PubSubBench.Settings settings = new PubSubBench.Settings(messages, size, publishers, subscribers, timeout,
                    Duration.ofSeconds(3), brokerPid, rate);
            PubSubBench.Result r;
            PubSubBench.Result overUdp = null;
            try {
                r = PubSubBench.run(new CourierDriver(server.servers), settings);
                if (udp) {
                    overUdp = PubSubBench.run(new CourierDriver(server.servers, true), settings);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fail(spec, 1, "interrupted");
            } catch (Exception e) {
                return fail(spec, 1, CliFailure.describe(e));
            }
            // Over UDP losses are the transport's nature, reported, not a failure; TCP must still deliver everything.
            System.out.print(overUdp == null ? Report.pubSub(r) : Report.pubSubSideBySide(r, overUdp));
            return r.unpublished() == 0 && r.missing() == 0 ? 0 : 1;
        }

        private String invalid() {
            if (messages < 1) {
                return "--messages must be at least 1, got " + messages;
            }
            if (size < PubSubBench.MIN_SIZE) {
                return "--size must be at least " + PubSubBench.MIN_SIZE + " (each payload carries its send time), got " + size;
            }
            if (publishers < 1) {
                return "--publishers must be at least 1, got " + publishers;
            }
            if (subscribers < 0) {
                return "--subscribers must be 0 or more, got " + subscribers;
            }
            if (messages < publishers) {
                return "--messages (" + messages + ") must be at least --publishers (" + publishers + ")";
            }
            if (rate < 0) {
                return "--rate must be 0 (as fast as they can) or more messages per second, got " + rate;
            }
            if (udp && size > maxUdpPayload(LONGEST_BENCH_TOPIC)) {
                return "--size must be at most " + maxUdpPayload(LONGEST_BENCH_TOPIC) + " with --udp (one datagram "
                        + "of at most " + io.courier.protocol.Datagram.DEFAULT_MAX_BYTES + " B with its head and "
                        + "topic), got " + size;
            }
            return null;
        }
    }

    @Command(name = "latency", mixinStandardHelpOptions = true,
            description = {"Request/reply round-trip latency through the broker (ping-pong, or a fixed --rate).",
                    "--udp: one-way latency instead (publisher -> subscriber, the send time in the payload), over "
                            + "TCP and then over UDP against the same broker, side by side; a datagram carries no "
                            + "reply topic, so request/reply is not timed over UDP."})
    static final class Latency implements Callable<Integer> {
        @Option(names = "--requests", defaultValue = "100000", description = "measured round trips (default: ${DEFAULT-VALUE})")
        int requests;
        @Option(names = "--warmup", defaultValue = "20000", description = "unmeasured round trips first (default: ${DEFAULT-VALUE})")
        int warmup;
        @Option(names = "--size", defaultValue = "128", description = "payload bytes, at least 8 (default: ${DEFAULT-VALUE})")
        int size;
        @Option(names = "--rate", defaultValue = "0", description = "requests per second, 0 = back to back (default: ${DEFAULT-VALUE})")
        int rate;
        @Option(names = "--timeout", defaultValue = "5s", converter = Durations.class,
                description = "per-request timeout (default: ${DEFAULT-VALUE})")
        Duration timeout;
        @Option(names = "--udp", description = "one-way latency over TCP, then over UDP, side by side")
        boolean udp;
        @Option(names = "--loss-wait", defaultValue = "100ms", converter = Durations.class,
                description = "with --udp and no --rate: how long to wait for a message before sending the next "
                        + "(it was lost) (default: ${DEFAULT-VALUE})")
        Duration lossWait;
        @Mixin
        ServerOption server;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            String invalid = invalid();
            if (invalid != null) {
                throw UsageErrors.of(spec, invalid);
            }
            if (udp) {
                return oneWay();
            }
            LatencyBench.Result r;
            try {
                r = LatencyBench.run(new CourierDriver(server.servers),
                        new LatencyBench.Settings(requests, warmup, size, rate, timeout));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fail(spec, 1, "interrupted");
            } catch (Exception e) {
                return fail(spec, 1, CliFailure.describe(e));
            }
            System.out.print(Report.latency(r));
            return r.failed() == 0 ? 0 : 1;
        }

        private int oneWay() {
            OneWayBench.Settings settings = new OneWayBench.Settings(requests, warmup, size, rate, lossWait,
                    Duration.ofSeconds(1));
            OneWayBench.Result tcp;
            OneWayBench.Result overUdp;
            try {
                tcp = OneWayBench.run(new CourierDriver(server.servers), settings);
                overUdp = OneWayBench.run(new CourierDriver(server.servers, true), settings);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fail(spec, 1, "interrupted");
            } catch (Exception e) {
                return fail(spec, 1, CliFailure.describe(e));
            }
            System.out.print(Report.oneWaySideBySide(tcp, overUdp));
            return tcp.lost() == 0 ? 0 : 1;
        }

        private String invalid() {
            if (requests < 1) {
                return "--requests must be at least 1, got " + requests;
            }
            if (warmup < 0) {
                return "--warmup must be 0 or more, got " + warmup;
            }
            if (size < 8) {
                return "--size must be at least 8 (a request carries its number), got " + size;
            }
            if (udp && size < OneWayBench.MIN_SIZE) {
                return "--size must be at least " + OneWayBench.MIN_SIZE + " with --udp (a message carries its number "
                        + "and send time), got " + size;
            }
            if (udp && size > maxUdpPayload(LONGEST_BENCH_TOPIC)) {
                return "--size must be at most " + maxUdpPayload(LONGEST_BENCH_TOPIC) + " with --udp (one datagram "
                        + "of at most " + io.courier.protocol.Datagram.DEFAULT_MAX_BYTES + " B with its head and "
                        + "topic), got " + size;
            }
            if (rate < 0) {
                return "--rate must be 0 (back to back) or more, got " + rate;
            }
            return null;
        }
    }

    @Command(name = "game", mixinStandardHelpOptions = true,
            description = {"A game's position updates: many players, each its own connection, publishing to their "
                    + "region's topic game.region.<r>.pos at a fixed rate and subscribed to it (no echo).",
                    "Runs over UDP, then over TCP (--transports), against the same broker; reports delivery latency, "
                            + "updates lost and the broker's CPU (--broker-pid)."})
    static final class Game implements Callable<Integer> {
        @Option(names = "--players", defaultValue = "1000", description = "clients, one connection each (default: ${DEFAULT-VALUE})")
        int players;
        @Option(names = "--region-size", defaultValue = "10",
                description = "players per region: player p is in region p / SIZE (default: ${DEFAULT-VALUE})")
        int regionSize;
        @Option(names = "--rate", defaultValue = "20", description = "updates per player per second (default: ${DEFAULT-VALUE})")
        int rate;
        @Option(names = "--size", defaultValue = "32", description = "update payload bytes, at least 16 (default: ${DEFAULT-VALUE})")
        int size;
        @Option(names = "--duration", defaultValue = "20s", converter = Durations.class,
                description = "measured time per transport (default: ${DEFAULT-VALUE})")
        Duration duration;
        @Option(names = "--warmup", defaultValue = "5s", converter = Durations.class,
                description = "unmeasured time first, per transport (default: ${DEFAULT-VALUE})")
        Duration warmup;
        @Option(names = "--drain", defaultValue = "2s", converter = Durations.class,
                description = "after the window, wait for deliveries until none came for this long (default: ${DEFAULT-VALUE})")
        Duration drain;
        @Option(names = "--threads", defaultValue = "4", description = "generator threads driving the players' ticks (default: ${DEFAULT-VALUE})")
        int threads;
        @Option(names = "--transports", defaultValue = "udp,tcp", split = ",",
                description = "in this order (default: ${DEFAULT-VALUE})")
        List<String> transports;
        @Option(names = "--broker-pid", defaultValue = "0",
                description = "the broker's process id, to report its CPU time (Linux)")
        long brokerPid;
        @Mixin
        ServerOption server;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            String invalid = invalid();
            if (invalid != null) {
                throw UsageErrors.of(spec, invalid);
            }
            GameBench.Settings settings = new GameBench.Settings(players, regionSize, rate, size, warmup, duration,
                    drain, threads, brokerPid);
            List<GameBench.Result> runs = new ArrayList<>();
            try {
                for (String t : transports) {
                    runs.add(GameBench.run(server.servers, settings, t.equals("udp")));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fail(spec, 1, "interrupted");
            } catch (Exception e) {
                return fail(spec, 1, CliFailure.describe(e));
            }
            System.out.print(Report.game(runs));
            return 0;
        }

        private String invalid() {
            if (players < 2) {
                return "--players must be at least 2, got " + players;
            }
            if (regionSize < 2) {
                return "--region-size must be at least 2, got " + regionSize;
            }
            if (rate < 1) {
                return "--rate must be at least 1, got " + rate;
            }
            if (size < GameBench.MIN_SIZE) {
                return "--size must be at least " + GameBench.MIN_SIZE + " (player, update number and send time), got "
                        + size;
            }
            String topic = GameBench.topic((players - 1) / Math.max(1, regionSize));
            if (size > maxUdpPayload(topic)) {
                return "--size must be at most " + maxUdpPayload(topic) + " (one datagram of at most "
                        + io.courier.protocol.Datagram.DEFAULT_MAX_BYTES + " B with its head and topic), got " + size;
            }
            if (threads < 1) {
                return "--threads must be at least 1, got " + threads;
            }
            if (duration.isZero() || duration.isNegative()) {
                return "--duration must be more than 0";
            }
            if (transports.isEmpty() || !transports.stream().allMatch(t -> t.equals("udp") || t.equals("tcp"))) {
                return "--transports must be udp, tcp or both (comma-separated), got " + String.join(",", transports);
            }
            return null;
        }
    }
}
