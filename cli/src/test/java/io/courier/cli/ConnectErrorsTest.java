package io.courier.cli;

import io.courier.client.Connection;
import io.courier.client.Message;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** How the client commands find their broker and say why they could not. */
class ConnectErrorsTest extends EmbeddedBrokerCli {

    @Test
    void aServerThatNeverAnswersIsReportedInPlainWords() throws Exception {
        // Before: "cannot connect to 127.0.0.1:PORT: no CONNECTED within 2000 ms".
        List<Socket> accepted = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            assertThat(Main.run("pub", "a", "x", "--server", "127.0.0.1:" + silent.getLocalPort())).isEqualTo(1);
            assertThat(err()).isEqualTo("courier pub: no answer from 127.0.0.1:" + silent.getLocalPort()
                    + " within 2 s\n");
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void ipv6AddressesPrintInBrackets() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        for (String given : new String[] {"[::1]:" + port, "::1:" + port}) {
            err.reset();
            assertThat(Main.run("pub", "a", "x", "--server", given)).isEqualTo(1);
            assertThat(err()).as(given).startsWith("courier pub: cannot connect to [::1]:" + port + ": ");
        }
        assertThat(ServerOption.describe(new InetSocketAddress("::1", 4871))).isEqualTo("[::1]:4871");
        assertThat(ServerOption.describe(new InetSocketAddress(InetAddress.getByName("0:0:0:0:0:0:0:1"), 4871)))
                .isEqualTo("[::1]:4871");
        assertThat(ServerOption.describe(new InetSocketAddress(InetAddress.getByName("2001:db8:0:0:1:0:0:1"), 80)))
                .isEqualTo("[2001:db8::1:0:0:1]:80");
        assertThat(ServerOption.describe(new InetSocketAddress(InetAddress.getByName("::"), 80))).isEqualTo("[::]:80");
        assertThat(ServerOption.describe(new InetSocketAddress("127.0.0.1", 4871))).isEqualTo("127.0.0.1:4871");
    }

    @Test
    void protocolWordsInConnectFailuresAreReworded() {
        assertThat(ConnectFailures.describe("cannot connect to [::1]:4871: no CONNECTED within 2000 ms"))
                .isEqualTo("no answer from [::1]:4871 within 2 s");
        assertThat(ConnectFailures.describe("cannot connect to any server: a:1: connection refused;"
                + " b:2: no CONNECTED within 500 ms"))
                .isEqualTo("cannot connect to any server: a:1: connection refused; b:2: no answer within 500 ms");
        assertThat(ConnectFailures.describe("cannot connect to a:1: server closed the connection before answering"
                + " CONNECT")).isEqualTo("cannot connect to a:1: closed the connection before answering");
        assertThat(ConnectFailures.describe("cannot connect to a:1: connection refused"))
                .isEqualTo("cannot connect to a:1: connection refused");
    }

    /** Runs {@code courier ARGS} as its own JVM with COURIER_SERVER set. */
    private Process courier(String courierServer, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("COURIER_SERVER", courierServer);
        return pb.start();
    }

    @Test
    void courierServerIsTheDefaultForServerAndIsNamedInErrors() throws Exception {
        BlockingQueue<Message> got = queue();
        try (Connection c = collect("env.t", got)) {
            Process pub = courier(server, "pub", "env.t", "from-env");
            assertThat(pub.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String output = new String(pub.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(pub.exitValue()).as(output).isZero();
            assertThat(next(got).payloadAsString()).isEqualTo("from-env");
        }

        Process bad = courier("nohost", "sub", "t");
        assertThat(bad.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(bad.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(bad.exitValue()).as(output).isEqualTo(2);
        assertThat(output).contains("courier sub: COURIER_SERVER 'nohost' is not HOST:PORT (for example"
                + " 127.0.0.1:4800); see 'courier sub --help'");

        Process help = courier("10.1.2.3:4999", "pub", "--help");
        assertThat(help.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replaceAll("\\s+", " "))
                .contains("COURIER_SERVER").contains("now: 10.1.2.3:4999");
    }
}
