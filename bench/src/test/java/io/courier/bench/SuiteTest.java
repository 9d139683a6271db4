package io.courier.bench;

import com.typesafe.config.ConfigFactory;
import io.courier.broker.Broker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The comparison suite end to end against a real Courier broker, at a tiny scale: every scenario yields figures. */
class SuiteTest {

    private Broker broker;

    @BeforeEach
    void start() {
        broker = Broker.start(ConfigFactory.parseString("courier.port = 0\ncourier.host = 127.0.0.1"));
    }

    @AfterEach
    void stop() {
        broker.stop();
    }

    @Test
    void everyScenarioIsMeasuredAndWrittenToTheResultsFile(@TempDir Path dir) throws Exception {
        Path results = dir.resolve("results.tsv");
        String server = "127.0.0.1:" + broker.address().getPort();
        List<Measurement> measured = new Suite(Contender.of("courier", server),
                new Suite.Settings(0.002, "127.0.0.1", broker.address().getPort(), ProcessHandle.current().pid(),
                        results, 20, Duration.ofMillis(500))).run();

        assertThat(measured).extracting(Measurement::scenario).contains("1->1 16 B", "1->1 64 KiB", "1->10 128 B",
                "10->1 128 B", "raw frames 1->1 128 B", "raw frames 1->10 128 B", "request/reply 128 B ping-pong",
                "request/reply 128 B at 1,000/s", "20 idle connections");
        assertThat(measured).filteredOn(m -> m.metric().equals("open at the end of the hold"))
                .singleElement().satisfies(m -> assertThat(m.value()).isEqualTo(20));
        assertThat(measured).filteredOn(m -> m.metric().equals("broker live heap at the end of the hold"))
                .singleElement().satisfies(m -> assertThat(m.value()).isPositive());
        assertThat(measured).filteredOn(m -> m.metric().equals("delivered")).hasSize(2 * 9)
                .allSatisfy(m -> assertThat(m.value()).isPositive());
        assertThat(measured).filteredOn(m -> m.metric().equals("missing")).hasSize(9)
                .allSatisfy(m -> assertThat(m.value()).isZero());
        // The embedded broker runs in this JVM, so its pid is the generator's: both CPU figures are read (the
        // broker's from /proc in 10 ms ticks, which a tiny run may not reach).
        assertThat(measured).filteredOn(m -> m.metric().equals("load generator CPU")).hasSize(9)
                .allSatisfy(m -> assertThat(m.value()).isPositive());
        assertThat(measured).filteredOn(m -> m.metric().equals("broker CPU")).hasSize(9)
                .allSatisfy(m -> assertThat(m.value()).isNotNegative());
        assertThat(measured).filteredOn(m -> m.metric().equals("p99"))
                .allSatisfy(m -> assertThat(m.value()).isPositive());

        List<Measurement> reread = Files.readAllLines(results).stream().map(Measurement::parse).toList();
        assertThat(reread).hasSameSizeAs(measured);
        assertThat(reread.get(0).row()).isEqualTo(measured.get(0).row());
    }
}
