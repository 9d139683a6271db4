package io.courier.loadgen;

import com.typesafe.config.ConfigFactory;
import io.courier.broker.Broker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pub/sub load generator through Courier's client against an embedded broker on 127.0.0.1. */
class PubSubBenchTest {

    private Broker broker;
    private CourierDriver driver;

    @BeforeEach
    void start() {
        broker = Broker.start(ConfigFactory.parseString(
                "courier.port = 0\ncourier.host = 127.0.0.1\ncourier.limits.max-payload = 4 KiB"));
        driver = new CourierDriver(List.of("127.0.0.1:" + broker.address().getPort()));
    }

    @AfterEach
    void stop() {
        broker.stop();
    }

    @Test
    void countsPublishedDeliveredAndMissingSeparatelyWithTheCpuUsed() throws Exception {
        PubSubBench.Result r = PubSubBench.run(driver, new PubSubBench.Settings(3_001, 64, 2, 3,
                Duration.ofSeconds(30), Duration.ofSeconds(3), ProcessHandle.current().pid()));

        assertThat(r.planned()).isEqualTo(3_000);
        assertThat(r.published()).isEqualTo(3_000);
        assertThat(r.unpublished()).isZero();
        assertThat(r.expected()).isEqualTo(9_000);
        assertThat(r.delivered()).isEqualTo(9_000);
        assertThat(r.missing()).isZero();
        assertThat(r.generatorCpuNanos()).isPositive();
        assertThat(r.brokerCpuNanos()).isNotNegative();
        assertThat(Report.pubSub(r)).contains("missing").contains("CPU: load generator");
    }

    @Test
    void refusesAPayloadOverTheBrokersLimitBeforePublishing() {
        assertThatThrownBy(() -> PubSubBench.run(driver, new PubSubBench.Settings(10, 5_000, 1, 1,
                Duration.ofSeconds(10))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a payload of 5000 B is larger than the broker's max payload of 4096 B");
    }

    @Test
    void refusesAPayloadWithoutRoomForTheSendTime() {
        assertThatThrownBy(() -> new PubSubBench.Settings(10, 7, 1, 1, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("size >= 8");
    }
}
