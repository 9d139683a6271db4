package io.courier.bench.hardening;

import io.courier.bench.ServerAddress;
import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.Options;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/** The options every scenario takes: where the broker listens, its process and its log, and the time limit. */
final class Target {

    @Option(names = "--server", required = true, description = "the broker's host:port; must be a loopback address")
    String server;

    @Option(names = "--broker-pid", defaultValue = "0",
            description = "the broker's process id, for its memory (/proc, jcmd) and liveness; 0 = unknown")
    long brokerPid;

    @Option(names = "--broker-log", description = "the broker's stdout/stderr file, scanned for what it logged")
    Path brokerLog;

    @Option(names = "--time-limit", defaultValue = "95",
            description = "seconds after which the harness stops whatever is still running (default: ${DEFAULT-VALUE})")
    int timeLimitSeconds;

    private BrokerProcess broker;

    /** The broker's address; refuses anything but loopback, so the harness never sends traffic off the host. */
    InetSocketAddress address() {
        return ServerAddress.loopback(server);
    }

    synchronized BrokerProcess broker() {
        if (broker == null) {
            broker = new BrokerProcess(brokerPid, brokerLog);
        }
        return broker;
    }

    /** A Java client connected to the broker, its state changes and ERRs reported to {@code events}. */
    Connection connectClient(String name, ClientEvents events) throws IOException, InterruptedException {
        return Courier.connect(Options.builder().server(server).name(name).connectionListener(events).build());
    }

    /**
     * Starts the scenario's clock: marks the broker log (only lines logged from now on are reported), starts
     * sampling the broker's RSS and arms a watchdog that halts the harness if the scenario has not ended within the
     * time limit. Returns the figures the scenario fills in and prints.
     */
    Figures begin(String scenario, String variant) {
        broker().markLog();
        broker().startSampling();
        HardeningCommand.daemon("watchdog", () -> {
            HardeningCommand.pause(timeLimitSeconds * 1000L);
            System.out.println("scenario=" + scenario + " result=harness-time-limit limit_s=" + timeLimitSeconds);
            System.out.flush();
            Runtime.getRuntime().halt(3);
        });
        return new Figures(scenario, variant);
    }
}
