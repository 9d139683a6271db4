package io.courier.cli;

import io.courier.bench.CourierDriver;
import io.courier.bench.LatencyBench;
import io.courier.bench.PubSubBench;
import io.courier.bench.Report;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Load generators against a running broker; run the broker in another process for honest figures. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure a running broker (start it in another process: ./courier broker).",
                "Prints msgs/s, MB/s and latency percentiles (HdrHistogram)."},
        subcommands = {BenchCommand.PubSub.class, BenchCommand.Latency.class})
final class BenchCommand {

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
        @Mixin
        ServerOption server;

        @Override
        public Integer call() throws Exception {
            PubSubBench.Result r;
            try {
                r = PubSubBench.run(new CourierDriver(server.servers), new PubSubBench.Settings(messages, size, publishers,
                        subscribers, timeout));
            } catch (IllegalArgumentException | java.io.IOException e) {
                throw new CliFailure(e.getMessage());
            }
            System.out.print(Report.pubSub(r));
            return r.lost() == 0 ? 0 : 1;
        }
    }

    @Command(name = "latency", mixinStandardHelpOptions = true,
            description = "Request/reply round-trip latency through the broker (ping-pong, or a fixed --rate).")
    static final class Latency implements Callable<Integer> {
        @Option(names = "--requests", defaultValue = "100000", description = "measured round trips (default: ${DEFAULT-VALUE})")
        int requests;
        @Option(names = "--warmup", defaultValue = "20000", description = "unmeasured round trips first (default: ${DEFAULT-VALUE})")
        int warmup;
        @Option(names = "--size", defaultValue = "128", description = "payload bytes (default: ${DEFAULT-VALUE})")
        int size;
        @Option(names = "--rate", defaultValue = "0", description = "requests per second, 0 = back to back (default: ${DEFAULT-VALUE})")
        int rate;
        @Option(names = "--timeout", defaultValue = "5s", converter = Durations.class,
                description = "per-request timeout (default: ${DEFAULT-VALUE})")
        Duration timeout;
        @Mixin
        ServerOption server;

        @Override
        public Integer call() throws Exception {
            LatencyBench.Result r;
            try {
                r = LatencyBench.run(new CourierDriver(server.servers),
                        new LatencyBench.Settings(requests, warmup, size, rate, timeout));
            } catch (IllegalArgumentException | java.io.IOException e) {
                throw new CliFailure(e.getMessage());
            }
            System.out.print(Report.latency(r));
            return r.failed() == 0 ? 0 : 1;
        }
    }
}
