package io.courier.broker;

import com.fasterxml.jackson.databind.JsonNode;
import io.courier.client.Connection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The admin HTTP port of a single broker, over real HTTP on loopback. */
class AdminPortTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final Brokers brokers = new Brokers();

    private static int port(Broker broker) {
        return broker.adminAddress().orElseThrow().getPort();
    }

    @Test
    void healthReadinessAndTheServersStateAnswerAndEverythingElseIsRefusedClearly() throws Exception {
        Broker broker = brokers.start("courier.admin { enabled = true, port = 0 }");
        int admin = port(broker);
        assertThat(Admin.get(admin, "/healthz").status()).isEqualTo(200);
        Admin.Reply ready = Admin.get(admin, "/readyz");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");

        Connection c = brokers.client(broker, "seen");
        c.subscribe("a.>", m -> { });
        c.subscribe("b", m -> { });
        c.publish("a.x", new byte[1]);
        c.flush(WAIT);
        Admin.Reply server = Admin.get(admin, "/api/server");
        assertThat(server.status()).isEqualTo(200);
        assertThat(server.contentType()).isEqualTo("application/json");
        JsonNode s = server.json();
        assertThat(s.get("serverId").asText()).isEqualTo(broker.settings().serverId());
        assertThat(s.get("clientAddress").asText()).isEqualTo(Brokers.address(broker));
        assertThat(s.get("clients").asLong()).isEqualTo(1);
        assertThat(s.get("subscriptions").asInt()).isEqualTo(2);
        assertThat(s.get("messagesIn").asLong()).isEqualTo(1);
        assertThat(s.get("udpAddress").asText()).isEqualTo(Broker.hostPort(broker.udpAddress().orElseThrow()));
        assertThat(s.get("udp").get("datagramsIn").asLong()).isZero();
        assertThat(s.get("cluster").asBoolean()).isFalse();

        Admin.Reply cluster = Admin.get(admin, "/api/cluster");
        assertThat(cluster.status()).isEqualTo(404);
        assertThat(cluster.body()).contains("courier.cluster.enabled");
        assertThat(Admin.get(admin, "/nope").status()).isEqualTo(404);
        assertThat(Admin.send(admin, "/api/server", "POST").status()).isEqualTo(405);
    }

    @Test
    void aStoppingBrokerIsNotReadyWhileItDrainsAndItsAdminPortClosesWithIt() throws Exception {
        Broker broker = brokers.start("""
                courier.admin { enabled = true, port = 0 }
                courier.shutdown-timeout = 3s
                """);
        int admin = port(broker);
        // A client that never answers the drain's PING holds the broker in its drain for the shutdown timeout.
        RawClient silent = brokers.closeAfter(RawClient.connected(broker.address(), "silent"));
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(broker::stop);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
            Admin.Reply r = Admin.get(admin, "/readyz");
            return r.status() == 503 && r.body().equals("shutting down\n");
        });
        assertThat(Admin.get(admin, "/healthz").status()).as("alive while it drains").isEqualTo(200);
        stopping.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> {
            try {
                Admin.get(admin, "/healthz");
                return false;
            } catch (IOException e) {
                return true;
            }
        });
        silent.close();
    }

    @Test
    void anAdminPortThatIsTakenFailsTheStartInOneLineNamingTheSetting() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> brokers.start("courier.admin { enabled = true, port = "
                    + taken.getLocalPort() + " }"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("cannot bind the admin port 127.0.0.1:" + taken.getLocalPort())
                    .hasMessageContaining("courier.admin");
        }
    }
}
