package io.courier.cli;

import com.typesafe.config.ConfigFactory;
import io.courier.broker.Broker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code courier bench pubsub --udp}, {@code bench latency --udp} and {@code bench game} at a tiny scale against an
 * embedded broker (with UDP on, its default): each prints TCP and UDP side by side and counts what UDP lost.
 */
class UdpBenchTest {

    private Broker broker;
    private String server;
    private final PrintStream realOut = System.out;
    private final PrintStream realErr = System.err;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void start() {
        broker = Broker.start(ConfigFactory.parseString("courier.port = 0"));
        server = "127.0.0.1:" + broker.address().getPort();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() {
        System.setOut(realOut);
        System.setErr(realErr);
        broker.stop();
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void pubsubPrintsTcpAndUdpSideBySideWithUdpLosses() {
        assertThat(Main.run("bench", "pubsub", "--udp", "--messages", "2000", "--server", server))
                .as(err.toString(StandardCharsets.UTF_8)).isEqualTo(0);

        assertThat(out()).contains("TCP then UDP").containsPattern("\\s+TCP\\s+UDP\\s+UDP/TCP")
                .containsPattern("sent \\(msgs/s\\)\\s+[\\d,]+\\s+[\\d,]+\\s+[\\d.]+")
                .containsPattern("received \\(msgs/s\\)\\s+[\\d,]+\\s+[\\d,]+")
                .containsPattern("lost \\(sent, not received\\)\\s+0\\s+[\\d,]+ \\([\\d.]+%\\)")
                .containsPattern("one-way latency p50 \\(us\\)\\s+[\\d,]+\\s+[\\d,]+")
                .containsPattern("one-way latency p99 \\(us\\)\\s+[\\d,]+\\s+[\\d,]+");
    }

    @Test
    void latencyPrintsOneWayTcpAndUdpSideBySide() {
        assertThat(Main.run("bench", "latency", "--udp", "--requests", "300", "--warmup", "50", "--server", server))
                .as(err.toString(StandardCharsets.UTF_8)).isEqualTo(0);

        assertThat(out()).contains("one-way").containsPattern("\\s+TCP\\s+UDP\\s+UDP/TCP")
                .containsPattern("received\\s+300\\s+[\\d,]+")
                .containsPattern("one-way latency p50 \\(us\\)\\s+[\\d,.]+\\s+[\\d,.]+")
                .containsPattern("one-way latency p99 \\(us\\)\\s+[\\d,.]+\\s+[\\d,.]+");
    }

    @Test
    void gameRunsOverUdpThenTcp() {
        assertThat(Main.run("bench", "game", "--players", "12", "--region-size", "4", "--warmup", "500ms",
                "--duration", "2s", "--drain", "500ms", "--server", server))
                .as(err.toString(StandardCharsets.UTF_8)).isEqualTo(0);

        assertThat(out()).contains("12 players").contains("3 regions of 4")
                .containsPattern("\\s+UDP\\s+TCP\\n")
                .containsPattern("deliveries due\\s+[1-9][\\d,]*\\s+[1-9][\\d,]*")
                .containsPattern("updates lost\\s+[\\d,]+\\s+0\\n")
                .containsPattern("delivery latency p99.9 \\(us\\)\\s+[\\d,]+\\s+[\\d,]+")
                .contains("UDP/TCP latency: p50");
    }

    @Test
    void refusesAPayloadLargerThanADatagramBeforeConnecting() {
        assertThat(Main.run("bench", "pubsub", "--udp", "--size", "1400", "--server", "127.0.0.1:1")).isEqualTo(2);

        assertThat(err.toString(StandardCharsets.UTF_8)).contains("courier bench pubsub: --size must be at most")
                .contains("with --udp");
        assertThat(out()).isEmpty();
    }
}
