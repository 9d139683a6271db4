package io.courier.bench;

import io.courier.bench.cluster.ClusterCommand;
import io.courier.bench.hardening.HardeningCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** courier-bench.jar: the comparison suite's load generator, its report, and the JMH micro-benchmarks. */
@Command(name = "courier-bench", mixinStandardHelpOptions = true,
        description = {"The benchmark suite behind bench/compare.sh.",
                "  run     run every scenario against one system and append the figures to a results file",
                "  report  turn results files into one table (text, Markdown) and an HTML page with charts",
                "  jmh     the JMH micro-benchmarks (any JMH option follows, e.g. jmh -prof gc CodecBenchmark)",
                "  hardening  failure scenarios of the broker core against a separate broker (bench/hardening.sh)",
                "  cluster    Courier and NATS clusters side by side (bench/cluster.sh)",
                "  handshakes rounds of handshakes against one broker, from cold (bench/handshakes.sh)"},
        subcommands = {Main.Run.class, Main.Report.class, HardeningCommand.class, ClusterCommand.class,
                HandshakeRounds.class})
public final class Main implements Callable<Integer> {

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) {
            org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.err);
        return 2;
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Run the scenarios against one system.")
    static final class Run implements Callable<Integer> {
        @Option(names = "--system", required = true, description = "courier, nats or mosquitto")
        String system;
        @Option(names = "--server", required = true, description = "the broker's host:port")
        String server;
        @Option(names = "--results", required = true, description = "file the figures are appended to")
        Path results;
        @Option(names = "--broker-pid", defaultValue = "0", description = "the broker's process id, to read its memory")
        long brokerPid;
        @Option(names = "--scale", defaultValue = "1", description = "multiply message counts by this (default: ${DEFAULT-VALUE})")
        double scale;
        @Option(names = "--idle-connections", defaultValue = "10000", description = "default: ${DEFAULT-VALUE}")
        int idleConnections;
        @Option(names = "--idle-hold", defaultValue = "PT30S", description = "how long idle connections are held (ISO-8601, default: ${DEFAULT-VALUE})")
        Duration idleHold;

        @Override
        public Integer call() throws Exception {
            Contender contender;
            try {
                contender = Contender.of(system, server);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--system: " + e.getMessage());
            }
            InetSocketAddress address;
            try {
                address = ServerAddress.parse(server);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
            }
            new Suite(contender, new Suite.Settings(scale, address.getHostString(), address.getPort(), brokerPid,
                    results, idleConnections, idleHold)).run();
            return 0;
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = "Print the comparison table and write it as Markdown and HTML.")
    static final class Report implements Callable<Integer> {
        @Parameters(arity = "1..*", description = "results files written by run")
        List<Path> files;
        @Option(names = "--markdown", description = "write the table here")
        Path markdown;
        @Option(names = "--html", description = "write the table and charts here")
        Path html;
        @Option(names = "--context", defaultValue = "", description = "text shown above the table (machine, date)")
        String context;

        @Override
        public Integer call() throws Exception {
            List<Measurement> all = new ArrayList<>();
            for (Path f : files) {
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        all.add(Measurement.parse(line));
                    }
                }
            }
            ComparisonReport report = new ComparisonReport(all);
            System.out.print(report.text());
            if (markdown != null) {
                Files.writeString(markdown, report.markdown(), StandardCharsets.UTF_8);
            }
            if (html != null) {
                Files.writeString(html, report.html("Courier vs NATS vs Mosquitto", context),
                        StandardCharsets.UTF_8);
            }
            return 0;
        }
    }
}
