package io.courier.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.Options;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code courier stats} and {@code courier connections} against a real broker's admin port. */
class AdminCommandsTest extends EmbeddedBrokerCli {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Override
    String brokerConfig() {
        return "courier.admin { enabled = true, port = 0 }\n";
    }

    private String admin() {
        return "127.0.0.1:" + broker.adminAddress().orElseThrow().getPort();
    }

    private Connection client(String name) throws Exception {
        return Courier.connect(Options.builder().server(server).name(name).build());
    }

    @Test
    void statsPrintsTheBrokersCountersAsATableOrItsJson() throws Exception {
        try (Connection c = client("counted")) {
            c.subscribe("s.>", m -> { });
            for (int i = 0; i < 3; i++) {
                c.publish("s.1", new byte[4]);
            }
            c.flush(WAIT);
            await().atMost(WAIT).until(() -> broker.stats().messagesOut() == 3);
            assertThat(Main.run("stats", "--admin", admin())).as(err()).isZero();
            String table = out();
            assertThat(table).contains(broker.settings().serverId()).contains(server);
            assertThat(line(table, "clients")).contains(" 1 (1 accepted since start)");
            assertThat(line(table, "subscriptions")).endsWith(" 1");
            assertThat(line(table, "messages in")).endsWith(" 3");
            assertThat(line(table, "messages out")).endsWith(" 3");
            out.reset();
            assertThat(Main.run("stats", "--json", "--admin", admin())).as(err()).isZero();
            JsonNode json = new ObjectMapper().readTree(out());
            assertThat(json.get("messagesIn").asLong()).isEqualTo(3);
        }
    }

    private static String line(String table, String key) {
        return table.lines().filter(l -> l.matches(java.util.regex.Pattern.quote(key) + "  +\\S.*")).findFirst()
                .orElseThrow().stripTrailing();
    }

    @Test
    void connectionsListsEachClientAndPages() throws Exception {
        try (Connection a = client("first-client"); Connection b = client("second-client")) {
            a.subscribe("x", m -> { });
            a.flush(WAIT);
            b.publish("x", new byte[1]);
            b.flush(WAIT);
            await().atMost(WAIT).until(() -> broker.stats().messagesOut() == 1);
            assertThat(Main.run("connections", "--admin", admin())).as(err()).isZero();
            String table = out();
            assertThat(table.lines().findFirst().orElseThrow()).contains("NAME", "REMOTE", "TRANSPORT", "PENDING");
            String first = table.lines().filter(l -> l.contains("first-client")).findFirst().orElseThrow();
            assertThat(first).contains("127.0.0.1:").contains(" tcp ");
            assertThat(table).contains("second-client");
            out.reset();
            assertThat(Main.run("connections", "--limit", "1", "--offset", "1", "--admin", admin())).as(err())
                    .isZero();
            assertThat(out()).contains("second-client").doesNotContain("first-client")
                    .contains("connections 2 to 2 of 2");
            out.reset();
            assertThat(Main.run("connections", "--json", "--admin", admin())).as(err()).isZero();
            assertThat(new ObjectMapper().readTree(out()).get("total").asInt()).isEqualTo(2);
        }
    }

    @Test
    void anUnreachableAdminPortSaysToTurnItOn() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        assertThat(Main.run("stats", "--admin", "127.0.0.1:" + closed)).isEqualTo(1);
        assertThat(err()).isEqualTo("courier stats: no admin port answered: 127.0.0.1:" + closed
                + " (connection refused); is the admin port on? (courier.admin.enabled = true on the broker, and "
                + "--admin HOST:PORT when it is not 127.0.0.1:4880)\n");
        assertThat(Main.run("connections", "--limit", "0", "--admin", admin())).isEqualTo(2);
    }
}
