package io.courier.broker;

import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * A broker that runs out of file descriptors (an open files limit below its clients, as after a reconnect storm
 * with the default {@code ulimit -n} of 1,024) must wait for them instead of spinning on the accept that fails at
 * once again, say so once, and serve clients again as soon as sockets close.
 */
class OpenFilesTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Path PRLIMIT = Path.of("/usr/bin/prlimit");

    @Test
    void outOfFileDescriptorsTheBrokerWaitsInsteadOfSpinningAndServesAgainOnceSocketsClose() throws Exception {
        assumeThat(Files.isExecutable(PRLIMIT)).as("prlimit (util-linux) sets a running process's limit").isTrue();
        try (BrokerProcess broker = BrokerProcess.start("""
                courier.limits.max-connections = 100000
                courier.limits.max-handshaking = 100000
                courier.limits.max-handshaking-per-address = 100000
                courier.limits.max-connections-per-address = 100000
                courier.connect-timeout = 60s
                """)) {
            // Every path a client takes runs once first: the test's broker loads its classes from directories, one
            // open file per class, which a broker running from its jar does not need.
            try (RawClient warm = RawClient.connected(broker.address(), "warm")) {
                warm.flush(WAIT);
            }
            try (Socket silent = new Socket(broker.address().getAddress(), broker.address().getPort())) {
                Thread.sleep(200);
            }
            long pid = broker.pid();
            long open;
            try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                open = fds.count();
            }
            long limit = open + 40;
            Process set = new ProcessBuilder(PRLIMIT.toString(), "--pid", Long.toString(pid),
                    "--nofile=" + limit + ":" + limit).redirectErrorStream(true).start();
            assertThat(set.waitFor()).as(new String(set.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .isZero();
            List<Socket> sockets = new ArrayList<>();
            try {
                // Sockets that never send CONNECT: the kernel completes their handshakes into the listen backlog.
                for (int i = 0; i < 150; i++) {
                    sockets.add(new Socket(broker.address().getAddress(), broker.address().getPort()));
                }
                await().atMost(WAIT).until(() -> broker.output().contains("failed: java.io.IOException"));
                long before = cpuMillis(pid);
                Thread.sleep(2_000);
                long spent = cpuMillis(pid) - before;
                assertThat(spent).as("CPU ms the broker used in 2 s with connections it cannot accept waiting")
                        .isLessThan(1_000);
                assertThat(broker.output().split("failed: java.io.IOException", -1).length - 1)
                        .as("the failure is logged once, not once per try").isEqualTo(1);
            } finally {
                for (Socket socket : sockets) {
                    socket.close();
                }
            }
            await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
                try (RawClient fresh = RawClient.connected(broker.address(), "fresh")) {
                    fresh.flush(Duration.ofSeconds(5));
                }
            });
            await().atMost(WAIT).until(() -> broker.output().contains("again, after"));
            assertThat(broker.isAlive()).isTrue();
        }
    }

    /** The process's user and system CPU time (Linux: /proc/PID/stat, in clock ticks of 10 ms). */
    private static long cpuMillis(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10;
    }
}
