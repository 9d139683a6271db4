package io.courier.cli;

import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code pub}'s ways to take a payload, byte for byte, and {@code sub --raw} giving the bytes back. */
class PubBytesTest extends EmbeddedBrokerCli {

    private static final HexFormat HEX = HexFormat.of();
    private static final String ISO_MILLIS = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

    @TempDir
    Path dir;

    /** Every byte value, then the sample and a CRLF. */
    private static byte[] everyByte() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int v = 0; v < 256; v++) {
            b.write(v);
        }
        b.writeBytes(bytes(0xFF, 0xFE, 0x00, 'A', '\r', '\n'));
        return b.toByteArray();
    }

    @Test
    void pubFileAndSubRawCarryEveryByteExactly() throws Exception {
        // Before: the payload went through a UTF-8 String both ways, so 0xFF arrived as EF BF BD.
        byte[] content = everyByte();
        Path file = Files.write(dir.resolve("all.bin"), content);
        CompletableFuture<Integer> sub = subscribed("sub", "bin.a", "--raw", "--no-newline", "--count", "1");
        assertThat(Main.run("pub", "bin.a", "--file", file.toString(), "--server", server)).isZero();
        assertThat(sub.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(out.toByteArray()).isEqualTo(content);
    }

    @Test
    void subRawEndsEachPayloadWithOneNewline() throws Exception {
        byte[] content = everyByte();
        Path file = Files.write(dir.resolve("all.bin"), content);
        CompletableFuture<Integer> sub = subscribed("sub", "bin.a", "--raw", "--count", "2");
        assertThat(Main.run("pub", "bin.a", "--file", file.toString(), "--count", "2", "--server", server)).isZero();
        assertThat(sub.get(10, TimeUnit.SECONDS)).isZero();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(content);
        expected.write('\n');
        expected.writeBytes(content);
        expected.write('\n');
        assertThat(out.toByteArray()).isEqualTo(expected.toByteArray());
    }

    @Test
    void pubStdinPublishesTheWholeInputAsOneMessageAsItIs() throws Exception {
        BlockingQueue<Message> got = queue();
        try (Connection c = collect("bin.a", got)) {
            stdin(bytes(0xFF, 0xFE, 0x00, 'A', '\n'));
            assertThat(Main.run("pub", "bin.a", "--stdin", "--server", server)).isZero();
            assertThat(next(got).payload()).isEqualTo(bytes(0xFF, 0xFE, 0x00, 'A', '\n'));
        }
        assertThat(err()).contains("published 1 message to bin.a");
    }

    @Test
    void pubLinesSplitsAtNewlineOnlyAndKeepsCarriageReturnAndInvalidUtf8() throws Exception {
        // Before: lines were decoded as UTF-8 (0xFF became EF BF BD) and readLine() dropped the \r.
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        input.writeBytes(bytes(0xFF, 0xFE, 0x00, 'A', '\r', '\n'));
        input.writeBytes("plain\n\nlast".getBytes(StandardCharsets.UTF_8));
        for (String mode : new String[] {"--lines", "(default)"}) {
            BlockingQueue<Message> got = queue();
            try (Connection c = collect("bin.a", got)) {
                stdin(input.toByteArray());
                String[] args = mode.equals("--lines") ? withServer("pub", "bin.a", "--lines")
                        : withServer("pub", "bin.a");
                assertThat(Main.run(args)).as(mode).isZero();
                List<String> payloads = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    payloads.add(HEX.formatHex(next(got).payload()));
                }
                assertThat(payloads).as(mode).containsExactly("fffe00410d", HEX.formatHex("plain".getBytes(
                        StandardCharsets.UTF_8)), "", HEX.formatHex("last".getBytes(StandardCharsets.UTF_8)));
                c.flush(Duration.ofSeconds(5));
                assertThat(got).as("nothing but the four lines").isEmpty();
            }
        }
        assertThat(err()).contains("published 4 messages to bin.a");
    }

    @Test
    void pubCountRepeatsTheMessageAndNumbersItWithTheCountPlaceholder() throws Exception {
        BlockingQueue<Message> got = queue();
        Instant before = Instant.now().minusMillis(1);
        try (Connection c = collect("ticks", got)) {
            long start = System.nanoTime();
            assertThat(Main.run("pub", "ticks", "tick {{Count}} at {{Time}} {{Other}}", "--count", "3",
                    "--sleep", "100ms", "--server", server)).isZero();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("two sleeps of 100 ms")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(200));
            for (int n = 1; n <= 3; n++) {
                String payload = next(got).payloadAsString();
                assertThat(payload).matches("tick " + n + " at " + ISO_MILLIS + " \\{\\{Other}}");
                Instant sent = Instant.parse(payload.split(" ")[3]);
                assertThat(sent).isAfterOrEqualTo(before.truncatedTo(ChronoUnit.MILLIS))
                        .isBeforeOrEqualTo(Instant.now());
            }
        }
        assertThat(err()).contains("published 3 messages to ticks");
    }

    @Test
    void pubAttachesHeadersSplitAtTheFirstEqualsSignAndTheReplyTopic() throws Exception {
        BlockingQueue<Message> got = queue();
        try (Connection c = collect("orders.eu", got)) {
            assertThat(Main.run("pub", "orders.eu", "x", "-H", "trace=42", "--header", "query=a=b", "-H", "empty=",
                    "--reply-to", "answers.here", "--server", server)).isZero();
            Message m = next(got);
            assertThat(m.headers()).containsExactly(Map.entry("trace", "42"), Map.entry("query", "a=b"),
                    Map.entry("empty", ""));
            assertThat(m.replyTo()).isEqualTo("answers.here");
        }
    }

    @Test
    void pubFileThatCannotBeReadFailsWithOneLineBeforeConnecting() {
        Path missing = dir.resolve("missing.bin");
        assertThat(Main.run("pub", "bin.a", "--file", missing.toString(), "--server", "127.0.0.1:1"))
                .as("exit code; err: %s", err()).isEqualTo(1);
        assertThat(err()).isEqualTo("courier pub: cannot read " + missing + ": no such file\n");
    }

    @Test
    void pubModesExcludeEachOther() throws Exception {
        Path file = Files.write(dir.resolve("f"), bytes(1));
        String[][] conflicts = {
                {"pub", "t", "message", "--stdin"},
                {"pub", "t", "--file", file.toString(), "--lines"},
                {"pub", "t", "--stdin", "--lines"},
                {"pub", "t", "message", "--file", file.toString()},
        };
        for (String[] args : conflicts) {
            err.reset();
            assertThat(Main.run(args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err()).isEqualTo("courier pub: MESSAGE, --file, --stdin and --lines exclude each other:"
                    + " give one; see 'courier pub --help'\n");
        }
        err.reset();
        assertThat(Main.run("pub", "t", "--lines", "--count", "2")).isEqualTo(2);
        assertThat(err()).isEqualTo("courier pub: --count does not go with --lines (each line is published once);"
                + " see 'courier pub --help'\n");
    }

    @Test
    void reqPrintsTheReplyBytesAsTheyAre() throws Exception {
        try (Connection responder = Courier.connect(server)) {
            responder.subscribe("bin.echo", m -> responder.publish(m.replyTo(), Map.of(), bytes(0xFF, 0x00, 'A')));
            responder.flush(Duration.ofSeconds(5));
            assertThat(Main.run("req", "bin.echo", "", "--server", server)).isZero();
        }
        assertThat(out.toByteArray()).isEqualTo(bytes(0xFF, 0x00, 'A', '\n'));
    }
}
