package io.courier.broker;

import com.typesafe.config.ConfigFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A broker in a JVM of its own, for tests where the broker's memory is the point (a small {@code -Xmx}) or where it
 * must be killed or signalled. Started from this module's test classpath; always killed by {@link #close}.
 */
final class BrokerProcess implements AutoCloseable {

    private static final String PORT_LINE = "courier-test-broker-port ";

    private final Process process;
    private final InetSocketAddress address;
    private final StringBuffer output = new StringBuffer();

    private BrokerProcess(Process process, InetSocketAddress address, BufferedReader reader) {
        this.process = process;
        this.address = address;
        Thread pump = new Thread(() -> {
            try {
                String line;
                while ((line = reader.readLine()) != null) {
                    output.append(line).append('\n');
                }
            } catch (IOException e) {
                output.append("(output ended: ").append(e).append(")\n");
            }
        }, "broker-process-output");
        pump.setDaemon(true);
        pump.start();
    }

    /** Starts a broker on 127.0.0.1, an ephemeral port, with {@code config} (HOCON) and the given JVM options. */
    static BrokerProcess start(String config, String... jvmOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmOptions));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(BrokerProcess.class.getName());
        command.add("courier.port = 0\ncourier.host = \"127.0.0.1\"\n" + config);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                StringBuilder seen = new StringBuilder();
                while ((line = reader.readLine()) != null) {
                    if (line.startsWith(PORT_LINE)) {
                        return Integer.parseInt(line.substring(PORT_LINE.length()).trim());
                    }
                    seen.append(line).append('\n');
                }
                throw new IllegalStateException("broker process ended before listening:\n" + seen);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            return new BrokerProcess(process, new InetSocketAddress("127.0.0.1", port.get(30, TimeUnit.SECONDS)),
                    reader);
        } catch (Exception e) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("broker process did not start", e);
        }
    }

    InetSocketAddress address() {
        return address;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** What the broker printed so far (its log). */
    String output() {
        return output.toString();
    }

    /** Sends SIGTERM and waits for the process to end; returns its exit code, or -1 if it did not end in time. */
    int terminate(long timeoutSeconds) throws InterruptedException {
        process.destroy();
        return process.waitFor(timeoutSeconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** The process's main: a broker with the configuration in {@code args[0]}; stops when its stdin closes. */
    public static void main(String[] args) throws IOException {
        Broker broker = Broker.start(ConfigFactory.parseString(args[0]));
        System.out.println(PORT_LINE + broker.address().getPort());
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the test closes our stdin or kills us
        }
        broker.stop();
    }
}
