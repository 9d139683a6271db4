package io.courier.cli;

import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.Options;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code courier broker} as its own process, the way an operator or a service manager runs and signals it. */
class BrokerProcessTest {

    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    private Process process;
    private final StringBuffer output = new StringBuffer();

    @AfterEach
    void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private int start() throws IOException {
        launch("broker", "--port", "0");
        await().atMost(Duration.ofSeconds(30)).until(() -> LISTENING.matcher(output).find());
        Matcher m = LISTENING.matcher(output);
        m.find();
        return Integer.parseInt(m.group(1));
    }

    private void launch(String... args) throws IOException {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(java.util.List.of(args));
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        Thread pump = new Thread(() -> {
            try {
                for (String line; (line = reader.readLine()) != null; ) {
                    output.append(line).append('\n');
                }
            } catch (IOException e) {
                output.append("(output ended: ").append(e).append(")\n");
            }
        });
        pump.setDaemon(true);
        pump.start();
    }

    /** Runs {@code courier ARGS} to its end; returns its exit code, its output in {@link #output}. */
    private int run(String... args) throws Exception {
        launch(args);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("ended in time:\n%s", output).isTrue();
        process.getInputStream().close();
        return process.exitValue();
    }

    private void signal(String name) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor())
                .isZero();
    }

    @Test
    void sigtermStopsGracefullyAndExitsZeroSigHupDoesNotStopIt() throws Exception {
        // Before: SIGTERM exited 143 and SIGHUP stopped the broker (129).
        int port = start();
        try (Connection client = Courier.connect(Options.builder().server("127.0.0.1:" + port).name("c")
                .maxReconnectAttempts(0).build())) {
            signal("HUP");
            await().atMost(Duration.ofSeconds(10)).until(() -> output.toString().contains("SIGHUP"));
            client.flush(Duration.ofSeconds(5));
            assertThat(process.isAlive()).isTrue();

            signal("TERM");
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("stopped in time:\n%s", output).isTrue();
        }
        assertThat(process.exitValue()).as("exit code; output:\n%s", output).isZero();
        assertThat(output.toString()).contains("stopping gracefully").contains("graceful stop: 1 connections closed");
    }

    @Test
    void aPortTakenOrAnUnknownHostIsOneLineAndExitCodeOne() throws Exception {
        // Before: 30 lines with Pekko's ERROR and a stack trace, or 36 ending in UnresolvedAddressException.
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThat(run("broker", "--port", Integer.toString(taken.getLocalPort()))).isEqualTo(1);
            await().atMost(Duration.ofSeconds(5)).until(() -> output.toString().contains("cannot bind"));
            assertThat(output.toString().strip().lines()).singleElement().asString()
                    .startsWith("courier broker: cannot bind 127.0.0.1:" + taken.getLocalPort());
        }
        output.setLength(0);
        assertThat(run("broker", "--host", "999.1.1.1")).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> output.toString().contains("cannot bind"));
        assertThat(output.toString().strip().lines()).singleElement().asString()
                .isEqualTo("courier broker: cannot bind 999.1.1.1:4800: no such host or address (courier.host / --host)");
    }

    @Test
    void aTypoInTheConfigurationFileStopsStartUpNamingTheKeyAndTheFile(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path config = dir.resolve("my.conf");
        java.nio.file.Files.writeString(config, "courier {\n  prot = 5000\n}\n");
        assertThat(run("broker", "--config", config.toString())).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> output.toString().contains("unknown setting"));
        assertThat(output.toString().strip().lines()).singleElement().asString()
                .contains("unknown setting courier.prot in " + config + " line 2; did you mean courier.port?");
    }

    @Test
    void startUpSaysVersionAddressConfigurationAndLimitsOnce() throws Exception {
        // Before: the address was said twice (the log and a line on stdout), the limits and configuration never.
        start();
        await().atMost(Duration.ofSeconds(10)).until(() -> output.toString().contains("limits:"));
        assertThat(output.toString()).containsOnlyOnce("listening on").containsOnlyOnce("limits:")
                .contains("Courier broker " + io.courier.broker.Version.CURRENT)
                .contains("configuration: command-line options over the built-in defaults")
                .contains("100000 connections");
    }
}
