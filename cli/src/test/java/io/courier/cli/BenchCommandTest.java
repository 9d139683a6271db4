package io.courier.cli;

import com.typesafe.config.ConfigFactory;
import io.courier.broker.Broker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code courier bench} against an embedded broker: options checked first, one line per error, no table then. */
class BenchCommandTest {

    private Broker broker;
    private String server;
    private final PrintStream realOut = System.out;
    private final PrintStream realErr = System.err;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void start() {
        broker = Broker.start(ConfigFactory.parseString("courier.port = 0\ncourier.limits.max-payload = 64 KiB"));
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

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** The command's own lines on standard error (the embedded broker may log there too). */
    private List<String> errors() {
        return err().lines().filter(l -> l.startsWith("courier ")).toList();
    }

    @Test
    void refusesAPayloadTooSmallForTheSendTimeBeforeConnecting() {
        assertThat(Main.run("bench", "pubsub", "--size", "4", "--server", "127.0.0.1:1")).isEqualTo(2);

        assertThat(errors()).singleElement().asString().startsWith("courier bench pubsub: --size must be at least 8")
                .contains("got 4");
        assertThat(out()).isEmpty();
    }

    @Test
    void refusesAPayloadOverTheBrokersLimitWithOneLineAndNoTable() {
        assertThat(Main.run("bench", "pubsub", "--size", "2000000", "--messages", "10", "--server", server))
                .isEqualTo(1);

        assertThat(errors()).singleElement().asString().startsWith("courier bench pubsub: ").contains("2000000")
                .contains("max payload");
        assertThat(out()).isEmpty();
    }

    @Test
    void latencyErrorsNameTheirCommandToo() {
        assertThat(Main.run("bench", "latency", "--requests", "0", "--server", server)).isEqualTo(2);

        assertThat(errors()).singleElement().asString().startsWith("courier bench latency: --requests must be at least 1");
    }

    @Test
    void reportsPublishedDeliveredAndMissingSeparately() {
        assertThat(Main.run("bench", "pubsub", "--messages", "2000", "--size", "16", "--subscribers", "2",
                "--server", server)).isZero();

        assertThat(out()).containsPattern("published\\s+2,000 of 2,000")
                .containsPattern("delivered\\s+4,000 of 4,000")
                .containsPattern("missing\\s+0 ")
                .contains("CPU: load generator");
        assertThat(errors()).isEmpty();
    }
}
