package io.courier.bench;

import com.typesafe.config.ConfigFactory;
import io.courier.bench.IdleConnections.Phase;
import io.courier.bench.IdleConnections.Protocol;
import io.courier.bench.IdleConnections.Result;
import io.courier.bench.IdleConnections.Settings;
import io.courier.broker.Broker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.IOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The idle-connections scenario against an embedded Courier broker, over real sockets on 127.0.0.1. */
class IdleConnectionsTest {

    private static final Duration HEARTBEAT = Duration.ofMillis(200);

    private Broker broker;

    private Broker start(String overrides) {
        broker = Broker.start(ConfigFactory.parseString("courier.port = 0\ncourier.host = 127.0.0.1\n" + overrides));
        return broker;
    }

    @AfterEach
    void stopBroker() {
        if (broker != null) {
            broker.stop();
        }
    }

    private Settings settings(int connections, Duration hold, long pid) {
        return new Settings(Protocol.COURIER, "127.0.0.1", broker.address().getPort(), connections, hold,
                HEARTBEAT, pid);
    }

    @Test
    void keepsEveryConnectionAliveThroughTheHoldByAnsweringPings() throws IOException {
        // Four missed PINGs (about a second) before the broker gives up on a link: a busy CI machine may stall the
        // client for a few hundred ms, and a client that never answers is still closed well within the hold.
        start("courier.heartbeat.max-missed = 4");
        Map<Phase, Long> brokerConnections = new EnumMap<>(Phase.class);

        Result result = IdleConnections.run(settings(200, Duration.ofMillis(2500), -1),
                phase -> brokerConnections.put(phase, broker.stats().connections()));

        assertThat(result.opened()).isEqualTo(200);
        assertThat(result.handshakes()).isEqualTo(200);
        assertThat(result.openAtEnd()).as(result.format()).isEqualTo(200);
        assertThat(result.lost()).isZero();
        assertThat(result.closeReasons()).isEmpty();
        // A PING every other 200 ms tick for 2.5 s: several per connection. Unanswered, the broker would have closed
        // the links, so openAtEnd above also proves they were answered.
        assertThat(result.serverPingsAnswered()).isGreaterThan(2 * 200L);
        assertThat(brokerConnections).containsEntry(Phase.IDLE, 0L)
                .containsEntry(Phase.CONNECTED, 200L)
                .containsEntry(Phase.END_OF_HOLD, 200L);
        assertThat(result.rssIdle()).isEqualTo(-1);
    }

    @Test
    void reportsConnectionsTheBrokerClosesInsteadOfFailing() throws IOException {
        start("");

        Result result = IdleConnections.run(settings(50, Duration.ofMillis(500), -1), phase -> {
            if (phase == Phase.CONNECTED) {
                broker.stop();
            }
        });

        assertThat(result.handshakes()).isEqualTo(50);
        assertThat(result.openAtEnd()).isZero();
        assertThat(result.lost()).isEqualTo(50);
        assertThat(result.closeReasons().keySet()).as(result.format())
                .allSatisfy(reason -> assertThat(reason).startsWith("ERR SERVER_SHUTDOWN"));
        assertThat(result.closeReasons().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(50);
    }

    @Test
    void reportsConnectionsRefusedAtTheHandshake() throws IOException {
        start("courier.limits.max-connections = 30");

        Result result = IdleConnections.run(settings(40, Duration.ZERO, -1), phase -> { });

        assertThat(result.opened()).isEqualTo(40);
        assertThat(result.handshakes()).isEqualTo(30);
        assertThat(result.openAtEnd()).isEqualTo(30);
        assertThat(result.lost()).isZero();
        assertThat(result.closeReasons().keySet()).singleElement().asString().startsWith("ERR TOO_MANY_CONNECTIONS");
        assertThat(result.closeReasons().values()).containsExactly(10);
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void samplesTheBrokerProcessResidentMemory() throws IOException {
        start("");

        Result result = IdleConnections.run(settings(20, Duration.ZERO, ProcessHandle.current().pid()),
                phase -> { });

        assertThat(result.rssIdle()).isPositive();
        assertThat(result.rssConnected()).isPositive();
        assertThat(result.rssEnd()).isPositive();
        assertThat(result.format()).contains("broker RSS: idle");
    }
}
