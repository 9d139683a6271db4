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
        process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "broker", "--port", "0")
                .redirectErrorStream(true).start();
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
        await().atMost(Duration.ofSeconds(30)).until(() -> LISTENING.matcher(output).find());
        Matcher m = LISTENING.matcher(output);
        m.find();
        return Integer.parseInt(m.group(1));
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
}
