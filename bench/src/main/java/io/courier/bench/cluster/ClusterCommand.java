package io.courier.bench.cluster;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code courier-bench cluster load|recovery|report}: the load generator of bench/cluster.sh, which starts the
 * brokers (a Courier cluster, a nats-server cluster, single brokers) and passes their addresses and process ids.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = {"Cross-broker scenarios against brokers started by bench/cluster.sh.",
                "  load      1->1 and 1->10 at 128 B, ping-pong, interest propagation (--pub and --sub brokers)",
                "  recovery  N clients on the first broker, kill -9 it, time until all are resubscribed elsewhere",
                "  report    the results file as a Markdown table, Courier | NATS | Courier/NATS"},
        subcommands = {ClusterCommand.Load.class, ClusterCommand.RecoveryRun.class, ClusterCommand.Report.class})
public final class ClusterCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.err);
        return 2;
    }

    static List<Long> pids(String csv) {
        List<Long> out = new ArrayList<>();
        if (csv != null && !csv.isBlank()) {
            for (String p : csv.split(",")) {
                out.add(Long.parseLong(p.trim()));
            }
        }
        return out;
    }

    static List<String> list(String csv) {
        return csv == null || csv.isBlank() ? List.of() : Arrays.stream(csv.split(",")).map(String::trim).toList();
    }

    @Command(name = "load", mixinStandardHelpOptions = true, description = "Throughput, ping-pong, interest propagation.")
    static final class Load implements Callable<Integer> {
        @Option(names = "--system", required = true, description = "courier or nats")
        String system;
        @Option(names = "--setup", required = true, description = "the label of these figures (cluster, single)")
        String setup;
        @Option(names = "--pub", required = true, description = "host:port the publishers and the requester use")
        String pub;
        @Option(names = "--sub", required = true, description = "host:port the subscribers and the responder use")
        String sub;
        @Option(names = "--results", required = true)
        Path results;
        @Option(names = "--pids", description = "broker process ids, comma-separated, for their CPU time")
        String pids;
        @Option(names = "--names", description = "their names, comma-separated (node 1, ...)")
        String names;
        @Option(names = "--scale", defaultValue = "1")
        double scale;
        @Option(names = "--interest-rounds", defaultValue = "200")
        int interestRounds;
        @Option(names = "--warm-up", defaultValue = "PT10S", description = "1->1 runs for this long first")
        Duration warmUp;

        @Override
        public Integer call() throws Exception {
            Figures figures = new Figures(results, system, setup);
            Cpu cpu = new Cpu(pids(pids), list(names));
            new ClusterLoad(new ClusterLoad.Settings(system, pub, sub, scale,
                    Math.max(10, (int) Math.round(interestRounds * Math.min(1, scale))), warmUp), figures, cpu).run();
            return 0;
        }
    }

    @Command(name = "recovery", mixinStandardHelpOptions = true, description = "kill -9 of the first broker under N clients.")
    static final class RecoveryRun implements Callable<Integer> {
        @Option(names = "--system", required = true)
        String system;
        @Option(names = "--setup", defaultValue = "cluster")
        String setup;
        @Option(names = "--servers", required = true, description = "the three brokers, host:port, the one killed first")
        String servers;
        @Option(names = "--kill-pid", required = true, description = "the first broker's process id")
        long killPid;
        @Option(names = "--probe", required = true, description = "host:port of the surviving broker probes go to")
        String probe;
        @Option(names = "--clients", defaultValue = "5000")
        int clients;
        @Option(names = "--probe-interval", defaultValue = "PT0.05S")
        Duration probeInterval;
        @Option(names = "--timeout", defaultValue = "PT300S", description = "probing ends after this long (default: ${DEFAULT-VALUE})")
        Duration timeout;
        @Option(names = "--nats-reconnect-wait", defaultValue = "PT0.05S",
                description = "jnats reconnectWait (default: ${DEFAULT-VALUE}, Courier's reconnectWait; jnats' own is 2 s)")
        Duration natsReconnectWait;
        @Option(names = "--nats-reconnect-jitter", defaultValue = "PT0.05S",
                description = "jnats reconnectJitter (default: ${DEFAULT-VALUE}; jnats' own is 100 ms)")
        Duration natsReconnectJitter;
        @Option(names = "--connect-threads", defaultValue = "16")
        int connectThreads;
        @Option(names = "--results", required = true)
        Path results;
        @Option(names = "--pids", description = "surviving brokers' process ids, comma-separated, for their CPU time")
        String pids;
        @Option(names = "--names", description = "their names, comma-separated")
        String names;

        @Override
        public Integer call() throws Exception {
            List<String> s = list(servers);
            if (s.size() != 3) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--servers needs three host:port");
            }
            new Recovery(new Recovery.Settings(system, s, clients, killPid, probe, probeInterval, timeout,
                    connectThreads, natsReconnectWait, natsReconnectJitter), new Figures(results, system, setup), new Cpu(pids(pids), list(names))).run();
            return 0;
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true, description = "Print the table of a results file.")
    static final class Report implements Callable<Integer> {
        @Parameters(index = "0")
        Path results;
        @Option(names = "--markdown", description = "also write the table here")
        Path markdown;

        @Override
        public Integer call() throws Exception {
            String table = Figures.markdown(Figures.read(results));
            System.out.print(table);
            if (markdown != null) {
                Files.writeString(markdown, table, StandardCharsets.UTF_8);
            }
            return 0;
        }
    }
}
