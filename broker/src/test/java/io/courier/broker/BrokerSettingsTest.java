package io.courier.broker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BrokerSettingsTest {

    private static BrokerSettings read(String overrides) {
        Config config = ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference()).resolve();
        return BrokerSettings.from(config);
    }

    @Test
    void defaultsAreValidAndDocumented() {
        BrokerSettings s = read("");
        assertThat(s.host()).isEqualTo("127.0.0.1");
        assertThat(s.port()).isEqualTo(4800);
        assertThat(s.maxPayload()).isEqualTo(1024 * 1024);
        assertThat(s.slowConsumerPolicy()).isEqualTo(BrokerSettings.SlowConsumerPolicy.DISCONNECT);
        assertThat(s.serverId()).isNotBlank();
    }

    @Test
    void exampleSingleNodeConfigLoads() {
        File example = new File("../config/single-node.conf");
        assertThat(example).exists();
        BrokerSettings s = BrokerSettings.from(ConfigFactory.parseFile(example)
                .withFallback(ConfigFactory.defaultReference()).resolve());
        assertThat(s.port()).isEqualTo(4800);
    }

    @Test
    void badValuesNameTheKeyAndTheReason() {
        assertThatThrownBy(() -> read("courier.port = 70000"))
                .hasMessageContaining("courier.port").hasMessageContaining("65535");
        assertThatThrownBy(() -> read("courier.port = eighty"))
                .hasMessageContaining("courier.port");
        assertThatThrownBy(() -> read("courier.slow-consumer.policy = sometimes"))
                .hasMessageContaining("courier.slow-consumer.policy").hasMessageContaining("'disconnect' or 'drop'");
        assertThatThrownBy(() -> read("courier.heartbeat.interval = -1s"))
                .hasMessageContaining("courier.heartbeat.interval");
        assertThatThrownBy(() -> read("courier.limits { max-payload = 2 MiB, max-frame = 1 MiB }"))
                .hasMessageContaining("courier.limits.max-frame");
        assertThatThrownBy(() -> read("courier.advertise = [\"nohost\"]"))
                .hasMessageContaining("courier.advertise");
        assertThatThrownBy(() -> read("courier.host = \"\""))
                .hasMessageContaining("courier.host");
    }

    @Test
    void clientHeartbeatRequestIsRaisedToTheFloor() {
        BrokerSettings s = read("courier.heartbeat { interval = 10s, min-interval = 200ms }");
        assertThat(s.heartbeatFor(0)).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.heartbeatFor(50)).isEqualTo(Duration.ofMillis(200));
        assertThat(s.heartbeatFor(3000)).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void startFailsClearlyWhenThePortIsTaken() {
        try (Broker first = Broker.start(ConfigFactory.parseString("courier.port = 0"))) {
            int port = first.address().getPort();
            assertThatThrownBy(() -> Broker.start(ConfigFactory.parseString("courier.port = " + port)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot bind 127.0.0.1:" + port);
        }
    }
}
