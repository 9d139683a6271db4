package io.courier.cli;

import io.courier.loadgen.CourierDriver;
import io.courier.loadgen.LatencyBench;
import io.courier.loadgen.PubSubBench;
import io.courier.loadgen.Report;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
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
        subcommands = {BenchCommand.PubSub.class, BenchCommand.Latency.class})
final class BenchCommand {

    private BenchCommand() {
    }

    /** Prints {@code "courier bench NAME: message"} on standard error and returns {@code code}. */
    private static int fail(CommandSpec spec, int code, String message) {
        PrintWriter err = spec.commandLine().getErr();
        err.println(spec.qualifiedName() + ": " + message);
        err.flush();
        return code;
    }

    @Command(name = "pubsub", mixinStandardHelpOptions = true,
            description = "Throughput: publishers send to one topic, every subscriber receives every message.")
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
            PubSubBench.Result r;
            try {
                r = PubSubBench.run(new CourierDriver(server.servers), new PubSubBench.Settings(messages, size,
                        publishers, subscribers, timeout, Duration.ofSeconds(3), brokerPid));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fail(spec, 1, "interrupted");
            } catch (Exception e) {
                return fail(spec, 1, CliFailure.describe(e));
            }
            System.out.print(Report.pubSub(r));
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
            return null;
        }
    }

    @Command(name = "latency", mixinStandardHelpOptions = true,
            description = "Request/reply round-trip latency through the broker (ping-pong, or a fixed --rate).")
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
            if (rate < 0) {
                return "--rate must be 0 (back to back) or more, got " + rate;
            }
            return null;
        }
    }
}
