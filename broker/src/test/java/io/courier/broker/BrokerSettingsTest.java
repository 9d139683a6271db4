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
    void exampleClusterNodeConfigLoadsAndTakesItsAddressesFromTheEnvironmentsNames() {
        File example = new File("../config/cluster-node.conf");
        BrokerSettings s = BrokerSettings.from(ConfigFactory.parseFile(example)
                .withFallback(ConfigFactory.defaultReference()).resolve());
        assertThat(s.cluster().enabled()).isTrue();
        assertThat(s.cluster().seeds()).hasSize(3);
        // What COURIER_PORT, COURIER_CLUSTER_PORT, COURIER_SEEDS set: the same names resolve from any source.
        BrokerSettings node2 = BrokerSettings.from(ConfigFactory.parseString("COURIER_PORT = 4802, "
                        + "COURIER_CLUSTER_PORT = 4902, COURIER_SEEDS = \"10.0.0.1:4900,10.0.0.2:4900\"")
                .withFallback(ConfigFactory.parseFile(example)).withFallback(ConfigFactory.defaultReference())
                .resolve());
        assertThat(node2.port()).isEqualTo(4802);
        assertThat(node2.cluster().port()).isEqualTo(4902);
        assertThat(node2.cluster().seeds()).containsExactly("10.0.0.1:4900", "10.0.0.2:4900");
    }

    @Test
    void ioThreadsAreHalfTheCoresByDefaultOrAsManyAsSet() {
        assertThat(read("").ioThreads()).isEqualTo(Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
        assertThat(read("courier.io-threads = 3").ioThreads()).isEqualTo(3);
        assertThatThrownBy(() -> read("courier.io-threads = 0"))
                .hasMessageContaining("courier.io-threads").hasMessageContaining("1");
        assertThatThrownBy(() -> read("courier.io-threads = many"))
                .hasMessageContaining("courier.io-threads");
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
    @Test
    void anUnknownSettingFailsWithTheKeyTheFileAndTheNearestKnownKey(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        // Before: `prot = 5000` and `max-paylod = 2 MiB` started a broker on the defaults.
        java.nio.file.Path file = dir.resolve("my.conf");
        java.nio.file.Files.writeString(file, "courier {\n  prot = 5000\n}\n");
        Config config = ConfigFactory.parseFile(file.toFile());
        assertThatThrownBy(() -> BrokerSettings.rejectUnknownKeys(config.withFallback(ConfigFactory.defaultReference()),
                ConfigFactory.defaultReference()))
                .hasMessageStartingWith("unknown setting courier.prot in ")
                .hasMessageContaining("my.conf line 2")
                .hasMessageContaining("did you mean courier.port?");
        assertThatThrownBy(() -> Broker.start(ConfigFactory.parseString("courier.limits { max-paylod = 2 MiB }")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown setting courier.limits.max-paylod")
                .hasMessageContaining("did you mean courier.limits.max-payload?");
        assertThatThrownBy(() -> Broker.start(ConfigFactory.parseString("courier.zzzzzzzzzz = 1")))
                .hasMessageContaining("unknown setting courier.zzzzzzzzzz").hasMessageNotContaining("did you mean");
    }

    @Test
    void dispatcherSettingsUnderIoDispatcherAreLeftToPekko() {
        BrokerSettings.rejectUnknownKeys(ConfigFactory.parseString(
                "courier.io-dispatcher.fork-join-executor.parallelism-max = 4")
                .withFallback(ConfigFactory.defaultReference()), ConfigFactory.defaultReference());
    }

    @Test
    void countsAreWholeNumbersAndSizesAreSizes() {
        // Before: `max-connections = 1 MiB` was taken as 1,048,576 connections.
        assertThatThrownBy(() -> read("courier.limits.max-connections = 1 MiB"))
                .hasMessageContaining("courier.limits.max-connections").hasMessageContaining("whole number");
        assertThatThrownBy(() -> read("courier.limits.max-subscriptions-per-connection = 10s"))
                .hasMessageContaining("whole number");
        assertThat(read("courier.limits.max-payload = 2 MiB, courier.limits.max-frame = 3 MiB").maxPayload())
                .isEqualTo(2 * 1024 * 1024);
        assertThat(read("courier.limits.max-connections = 500").maxConnections()).isEqualTo(500);
    }
}
