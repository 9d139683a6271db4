package io.courier.cli;

import org.junit.jupiter.api.Test;

import java.net.ServerSocket;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code courier cluster status} against a real broker's admin port: a cluster of one (Pekko Cluster, founded by the
 * broker itself on a free port) in this JVM; the multi-process cluster is in the broker's ClusterTest.
 */
class ClusterStatusTest extends EmbeddedBrokerCli {

    @Override
    String brokerConfig() {
        return """
                courier.admin { enabled = true, port = 0 }
                courier.cluster { enabled = true, port = 0, route-port = 0 }
                """;
    }

    @org.junit.jupiter.api.BeforeEach
    void awaitTheClusterOfOne() {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> broker.notReady().isEmpty());
    }

    private String admin() {
        return "127.0.0.1:" + broker.adminAddress().orElseThrow().getPort();
    }

    @Test
    void printsEachMemberWithItsStateReachabilityAndClients() {
        assertThat(Main.run("cluster", "status", "--admin", admin())).as(err()).isZero();
        String table = out();
        assertThat(table).contains("NODE").contains("STATUS").contains("REACHABLE");
        String selfLine = table.lines().filter(l -> l.contains("self")).findFirst().orElseThrow();
        assertThat(selfLine).contains(" up ").contains(" yes ").contains(server).contains("leader");
    }

    @Test
    void theFirstAdminAddressThatAnswersIsUsedAndJsonIsPrintedAsItIs() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        assertThat(Main.run("cluster", "status", "--json", "--admin", "127.0.0.1:" + closed + "," + admin()))
                .as(err()).isZero();
        assertThat(out()).contains("\"members\"").contains("\"clientAddress\" : \"" + server + "\"");
    }

    @Test
    void noAnsweringAdminPortIsOneLineThatSaysWhatToCheck() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        assertThat(Main.run("cluster", "status", "--admin", "127.0.0.1:" + closed)).isEqualTo(1);
        assertThat(err()).isEqualTo("courier cluster status: no admin port answered: 127.0.0.1:" + closed
                + " (connection refused); is the admin port on? (courier.admin.enabled = true on the broker, and "
                + "--admin HOST:PORT when it is not 127.0.0.1:4880)\n");
    }

    @Test
    void clusterWithoutASubcommandShowsTheMembersAndTheAdminAddressDefaultsToTheStandardPort() {
        assertThat(Main.run("cluster", "--admin", admin())).as(err()).isZero();
        assertThat(out()).contains("NODE").contains(server);
        assertThat(Main.run("cluster", "status", "--help")).isZero();
        assertThat(out()).contains("default: 127.0.0.1:4880");
    }
}
