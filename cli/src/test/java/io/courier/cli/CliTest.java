package io.courier.cli;

import io.courier.client.Connection;
import io.courier.client.Courier;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code courier} commands against an embedded broker, with stdout and stderr captured. */
class CliTest extends EmbeddedBrokerCli {

    @Test
    void subPrintsWhatPubPublishesAndExitsAfterCount() throws Exception {
        CompletableFuture<Integer> sub = subscribed("sub", "orders.>", "--count", "2");
        assertThat(Main.run("pub", "orders.eu.created", "{\"id\":1}", "--server", server)).isZero();
        assertThat(Main.run("pub", "orders.us.created", "{\"id\":2}", "--server", server)).isZero();
        assertThat(sub.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(out()).isEqualTo("orders.eu.created {\"id\":1}\norders.us.created {\"id\":2}\n");
    }

    @Test
    void pubReadsLinesFromStandardInputAndSubPrintsRawPayloads() throws Exception {
        CompletableFuture<Integer> sub = subscribed("sub", "lines", "--raw", "--count", "3");
        stdin("one\ntwo\nthree\n".getBytes(StandardCharsets.UTF_8));
        assertThat(Main.run("pub", "lines", "--server", server)).isZero();
        assertThat(sub.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(out()).isEqualTo("one\ntwo\nthree\n");
        assertThat(err()).contains("published 3 messages to lines");
    }

    @Test
    void reqPrintsTheReply() throws Exception {
        try (Connection responder = Courier.connect(server)) {
            responder.subscribe("time.now", m -> responder.publish(m.replyTo(), Map.of(),
                    "12:00".getBytes(StandardCharsets.UTF_8)));
            responder.flush(Duration.ofSeconds(5));
            assertThat(Main.run("req", "time.now", "", "--server", server)).isZero();
        }
        assertThat(out()).isEqualTo("12:00\n");
    }

    @Test
    void reqWithoutRespondersSaysSoAndFails() {
        assertThat(Main.run("req", "time.now", "", "--timeout", "30s", "--server", server)).isEqualTo(1);
        assertThat(err()).isEqualTo("courier req: no responders for time.now\n");
    }

    @Test
    void unreachableBrokerGivesOneClearLineAndExitCodeOne() throws Exception {
        int freePort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            freePort = s.getLocalPort();
        }
        assertThat(Main.run("pub", "a", "x", "--server", "127.0.0.1:" + freePort)).isEqualTo(1);
        assertThat(err()).startsWith("courier pub: cannot connect to 127.0.0.1:" + freePort);
        assertThat(err().lines().count()).isEqualTo(1);
    }

    @Test
    void invalidTopicIsReportedWithoutAStackTrace() {
        assertThat(Main.run("pub", "a..b", "x", "--server", server)).isEqualTo(1);
        assertThat(err()).startsWith("courier pub: ").contains("a..b").doesNotContain("Exception");
    }

    @Test
    void usageErrorsExitWithTwo() {
        assertThat(Main.run("pub")).isEqualTo(2);
        assertThat(err()).contains("Missing required parameter");
        assertThat(Main.run("nonsense")).isEqualTo(2);
    }

    @Test
    void brokerCommandReportsABadSettingByKey() {
        assertThat(Main.run("broker", "--port", "70000")).isEqualTo(1);
        assertThat(err()).contains("courier.port").contains("65535");
    }

    @Test
    void helpExplainsEverySubcommand() {
        assertThat(Main.run("--help")).isZero();
        assertThat(out()).contains("broker", "pub", "sub", "req", "bench");
        for (String sub : new String[] {"broker", "pub", "sub", "req", "reply", "bench"}) {
            out.reset();
            assertThat(Main.run(sub, "--help")).isZero();
            assertThat(out()).contains("Usage: courier " + sub);
        }
    }
}
