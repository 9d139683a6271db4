package io.courier.broker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import io.courier.protocol.Ping;
import io.courier.protocol.Pong;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The broker's Pekko settings must hold however the reference.conf files were merged, and must be overridable. */
class BrokerConfigTest {

    /** What the shaded jar's single reference.conf amounted to: Courier's keys first, Pekko's own appended after. */
    private static Config shadedReference() {
        return ConfigFactory.parseString("""
                pekko.io.tcp.worker-dispatcher = "pekko.actor.internal-dispatcher"
                pekko.stream.materializer.dispatcher = "pekko.actor.default-dispatcher"
                pekko.stream.materializer.io.tcp.write-buffer-size = 16 KiB
                pekko.coordinated-shutdown.phases.service-requests-done.timeout = 5s
                """).withFallback(ConfigFactory.defaultReference());
    }

    @Test
    void pekkoDefaultsWinOverAnyReferenceConf() {
        Config c = Broker.effectiveConfig(ConfigFactory.empty(), shadedReference());
        assertThat(c.getString("pekko.io.tcp.worker-dispatcher")).isEqualTo("courier.io-dispatcher");
        assertThat(c.getString("pekko.stream.materializer.dispatcher")).isEqualTo("courier.io-dispatcher");
        assertThat(c.getBytes("pekko.stream.materializer.io.tcp.write-buffer-size")).isEqualTo(64 * 1024L);
        assertThat(c.getDuration("pekko.coordinated-shutdown.phases.service-requests-done.timeout").toSeconds())
                .isEqualTo(15);
    }

    @Test
    void givenConfigAndSystemPropertiesStillOverrideThem() {
        Config given = ConfigFactory.parseString("pekko.io.tcp.worker-dispatcher = \"pekko.actor.default-dispatcher\"");
        assertThat(Broker.effectiveConfig(given, shadedReference()).getString("pekko.io.tcp.worker-dispatcher"))
                .isEqualTo("pekko.actor.default-dispatcher");

        String key = "pekko.stream.materializer.dispatcher";
        System.setProperty(key, "pekko.actor.internal-dispatcher");
        try {
            ConfigFactory.invalidateCaches();
            assertThat(Broker.effectiveConfig(ConfigFactory.empty(), shadedReference()).getString(key))
                    .isEqualTo("pekko.actor.internal-dispatcher");
        } finally {
            System.clearProperty(key);
            ConfigFactory.invalidateCaches();
        }
    }

    @Test
    void connectionsRunOnTheIoDispatcher() throws Exception {
        try (Broker broker = Broker.start(ConfigFactory.parseString("courier.port = 0"));
             RawClient client = RawClient.connected(broker.address(), "config-test")) {
            client.send(Ping.INSTANCE);
            assertThat(client.next(Duration.ofSeconds(10))).isInstanceOf(Pong.class);
            assertThat(Thread.getAllStackTraces().keySet())
                    .anyMatch(t -> t.getName().startsWith("courier-courier.io-dispatcher-"));
        }
    }
}
