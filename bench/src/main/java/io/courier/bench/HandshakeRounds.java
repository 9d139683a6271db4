package io.courier.bench;

import io.courier.loadgen.ProcessCpu;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Handshake rate of a broker from its first connection on: rounds of N connections opened (at most
 * {@value IdleConnections#MAX_IN_FLIGHT} in flight), each handshake completed, then all closed, a pause between
 * rounds. Run it against a freshly started broker to see the rate a cold process accepts at, and how it climbs as
 * the JIT compiles. With the broker's pid, each round also says how much of the broker's CPU went to the JIT
 * compiler threads, the garbage collector, and everything else, per handshake.
 */
@Command(name = "handshakes", mixinStandardHelpOptions = true,
        description = "Rounds of connections (handshake, then close) against one broker; rate and CPU per round.")
final class HandshakeRounds implements Callable<Integer> {

    @Option(names = "--protocol", defaultValue = "COURIER", description = "COURIER, NATS or MQTT (default: ${DEFAULT-VALUE})")
    IdleConnections.Protocol protocol;
    @Option(names = "--server", required = true, description = "the broker's host:port")
    String server;
    @Option(names = "--broker-pid", defaultValue = "0", description = "the broker's process id, for its CPU (0: not read)")
    long brokerPid;
    @Option(names = "--rounds", defaultValue = "6", description = "default: ${DEFAULT-VALUE}")
    int rounds;
    @Option(names = "--connections", defaultValue = "5000", description = "per round (default: ${DEFAULT-VALUE})")
    int connections;
    @Option(names = "--pause", defaultValue = "PT3S", description = "between rounds, ISO-8601 (default: ${DEFAULT-VALUE})")
    Duration pause;
    @Option(names = "--label", defaultValue = "", description = "put at the start of every figures line")
    String label;

    @Override
    public Integer call() throws Exception {
        InetSocketAddress address;
        try {
            address = ServerAddress.loopback(server);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
        }
        if (rounds < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--rounds must be at least 1, got " + rounds);
        }
        IdleConnections.Settings settings = new IdleConnections.Settings(protocol, address.getHostString(),
                address.getPort(), connections, Duration.ZERO, IdleConnections.DEFAULT_HEARTBEAT, 0);
        int failedRounds = 0;
        for (int round = 0; round < rounds; round++) {
            if (round > 0) {
                Thread.sleep(pause.toMillis());
            }
            CpuSplit before = CpuSplit.of(brokerPid);
            IdleConnections.Result result = IdleConnections.run(settings, phase -> { });
            CpuSplit used = CpuSplit.of(brokerPid).minus(before);
            double seconds = result.connectTime().toNanos() / 1e9;
            int handshakes = result.handshakes();
            failedRounds += handshakes < connections ? 1 : 0;
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                    "%sround=%d handshakes=%d seconds=%.3f rate=%.0f", label.isEmpty() ? "" : label + " ", round,
                    handshakes, seconds, handshakes / seconds));
            if (brokerPid > 0 && handshakes > 0) {
                line.append(String.format(Locale.ROOT, " cpu_us=%.0f jit_us=%.0f gc_us=%.0f other_us=%.0f",
                        used.total() / 1e3 / handshakes, used.jit / 1e3 / handshakes, used.gc / 1e3 / handshakes,
                        used.other / 1e3 / handshakes));
            }
            if (!result.closeReasons().isEmpty()) {
                line.append(" closed_early=").append(result.closeReasons());
            }
            System.out.println(line);
        }
        return failedRounds == 0 ? 0 : 1;
    }

    /** A process's CPU nanoseconds so far, split by who used it: the JIT's compiler threads, the GC's, the rest. */
    private record CpuSplit(long jit, long gc, long other) {

        static CpuSplit of(long pid) {
            long jit = 0;
            long gc = 0;
            long other = 0;
            if (pid > 0) {
                for (Map.Entry<String, Long> t : ProcessCpu.threadNanos(pid).entrySet()) {
                    String name = t.getKey().substring(t.getKey().indexOf(' ') + 1);
                    if (name.contains("CompilerThre")) {
                        jit += t.getValue();
                    } else if (name.startsWith("GC ") || name.startsWith("G1 ")) {
                        gc += t.getValue();
                    } else {
                        other += t.getValue();
                    }
                }
            }
            return new CpuSplit(jit, gc, other);
        }

        CpuSplit minus(CpuSplit earlier) {
            return new CpuSplit(jit - earlier.jit, gc - earlier.gc, other - earlier.other);
        }

        long total() {
            return jit + gc + other;
        }
    }
}
