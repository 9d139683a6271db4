package io.courier.cli;

import io.courier.client.Connection;
import io.courier.client.Courier;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Usage errors as one line and exit code 2; the one rule for --count; durations with units. */
class UsageErrorsTest extends EmbeddedBrokerCli {

    private void assertUsageError(String expectedLine, String... args) {
        err.reset();
        out.reset();
        assertThat(Main.run(args)).as(String.join(" ", args)).isEqualTo(2);
        assertThat(err()).as(String.join(" ", args)).isEqualTo(expectedLine + "\n");
        assertThat(out()).as("no usage text on stdout").isEmpty();
    }

    @Test
    void usageErrorsAreOneLineSayingWhatIsWrongAndWhereToReadMore() {
        // Before: picocli printed the whole usage after the error, and "Value for option option '--header'".
        assertUsageError("courier pub: Missing required parameter: 'TOPIC'; see 'courier pub --help'", "pub");
        assertUsageError("courier pub: invalid --header: 'trace' is not KEY=VALUE; see 'courier pub --help'",
                "pub", "t", "x", "--header", "trace");
        assertUsageError("courier: a subcommand is required; see 'courier --help'");
        assertUsageError("courier sub: invalid --count: 'many' is not a whole number; see 'courier sub --help'",
                "sub", "t", "--count", "many");
        assertUsageError("courier req: invalid --timeout: '2' has no unit: write for example 2s or 2ms;"
                + " see 'courier req --help'", "req", "t", "x", "--timeout", "2");
        assertUsageError("courier req: invalid --timeout: 'soon' is not a duration (a number with a unit: 100ms, 2s,"
                + " 1.5s, 1m); see 'courier req --help'", "req", "t", "x", "--timeout", "soon");
        assertUsageError("courier pub: --server 'localhost' is not HOST:PORT (for example 127.0.0.1:4800);"
                + " see 'courier pub --help'", "pub", "t", "x", "--server", "localhost");
    }

    @Test
    void everySubcommandBenchIncludedGetsTheOneLineForm() {
        for (String[] args : new String[][] {
                {"pub", "t", "x", "--bogus"}, {"sub"}, {"req", "t"}, {"reply", "t"}, {"broker", "--port", "x"},
                {"bench", "pubsub", "--size", "big"}, {"bench", "latency", "--nope"}, {"nonsense"}}) {
            err.reset();
            out.reset();
            assertThat(Main.run(args)).as(String.join(" ", args)).isEqualTo(2);
            String command = args[0].equals("nonsense") ? "courier"
                    : args[0].equals("bench") ? "courier bench " + args[1] : "courier " + args[0];
            assertThat(err()).as(String.join(" ", args)).startsWith(command + ": ")
                    .endsWith("; see '" + command + " --help'\n").doesNotContain("Usage:");
            assertThat(err().lines()).as(err()).hasSize(1);
            assertThat(out()).isEmpty();
        }
    }

    @Test
    void unknownOptionSuggestsTheNearestOne() {
        assertThat(Main.run("sub", "t", "--jsn")).isEqualTo(2);
        assertThat(err()).startsWith("courier sub: Unknown option: '--jsn'").contains("--json")
                .endsWith("; see 'courier sub --help'\n");
    }

    @Test
    void pubCountMustBeAtLeastOneAndSubAndReplyCountsMustNotBeNegative() {
        assertUsageError("courier pub: invalid --count: '0' must be at least 1; see 'courier pub --help'",
                "pub", "t", "x", "--count", "0");
        assertUsageError("courier sub: invalid --count: '-1' is negative (0 means no limit); see 'courier sub --help'",
                "sub", "t", "--count", "-1");
        assertUsageError("courier reply: invalid --count: '-1' is negative (0 means no limit);"
                + " see 'courier reply --help'", "reply", "t", "r", "--count", "-1");
    }

    @Test
    void countZeroMeansNoLimitForSubAndReply() throws Exception {
        // Before: reply --count 0 ran forever but sub --count 0 was refused.
        CompletableFuture<Integer> sub = subscribed("sub", "t", "--count", "0");
        int before = broker.subscriptionCount();
        CompletableFuture<Integer> reply = inBackground(withServer("reply", "t.req", "pong", "--count", "0"));
        await().atMost(Duration.ofSeconds(10)).until(() -> broker.subscriptionCount() > before);
        try (Connection c = Courier.connect(server)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> err().contains("answering requests on t.req"));
            for (int i = 0; i < 3; i++) {
                c.publish("t", ("m" + i).getBytes(StandardCharsets.UTF_8));
                assertThat(c.request("t.req", new byte[0], Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS)
                        .payloadAsString()).isEqualTo("pong");
            }
            c.flush(Duration.ofSeconds(5));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> out().lines().count() == 3);
        assertThat(out()).isEqualTo("t m0\nt m1\nt m2\n");
        assertThat(sub).as("sub --count 0 keeps running").isNotDone();
        assertThat(reply).as("reply --count 0 keeps running").isNotDone();
        assertThat(err()).contains("subscribed to t on " + server);
    }

    @Test
    void replyCountExitsAfterThatManyAnswers() throws Exception {
        CompletableFuture<Integer> reply = inBackground(withServer("reply", "t.req", "pong", "--count", "2"));
        await().atMost(Duration.ofSeconds(10)).until(() -> err().contains("answering requests on t.req"));
        try (Connection c = Courier.connect(server)) {
            for (int i = 0; i < 2; i++) {
                assertThat(c.request("t.req", new byte[0], Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS)
                        .payloadAsString()).isEqualTo("pong");
            }
        }
        assertThat(reply.get(10, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void durationsTakeUnitsAndTheMessagesUseThem() throws Exception {
        try (Connection silent = Courier.connect(server)) {
            silent.subscribe("t.slow", m -> { });
            silent.flush(Duration.ofSeconds(5));
            assertThat(Main.run("req", "t.slow", "", "--timeout", "100ms", "--server", server)).isEqualTo(1);
            assertThat(err()).isEqualTo("courier req: no reply from t.slow within 100 ms\n");
            err.reset();
            assertThat(Main.run("req", "t.slow", "", "--timeout", "1.5s", "--server", server)).isEqualTo(1);
            assertThat(err()).isEqualTo("courier req: no reply from t.slow within 1.5 s\n");
        }
    }

    @Test
    void helpDocumentsUnitsCountsModesOutputsAndCourierServer() {
        Map<String[], String[]> expected = Map.of(
                new String[] {"req", "--help"}, new String[] {"100ms, 2s", "COURIER_SERVER"},
                new String[] {"pub", "--help"}, new String[] {"--file", "--stdin", "--lines", "{{Count}}",
                        "{{Time}}", "N >= 1", "a \\r before it is kept", "100ms, 2s", "COURIER_SERVER"},
                new String[] {"sub", "--help"}, new String[] {"0 = no limit", "--json", "payload_base64",
                        "--headers", "--timestamp", "--raw", "COURIER_SERVER"},
                new String[] {"reply", "--help"}, new String[] {"0 = no limit", "COURIER_SERVER"},
                new String[] {"--help"}, new String[] {"COURIER_SERVER", "Exit codes"});
        expected.forEach((args, phrases) -> {
            out.reset();
            assertThat(Main.run(args)).isZero();
            // picocli wraps long descriptions: compare with every run of whitespace as one space
            assertThat(out().replaceAll("\\s+", " ")).as(String.join(" ", args)).contains(phrases);
        });
    }
}
