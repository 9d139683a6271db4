package io.courier.cli;

import io.courier.client.Connection;
import io.courier.client.Courier;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What {@code sub} prints: one line per message in text, the headers and times when asked, JSON for machines. */
class SubOutputTest extends EmbeddedBrokerCli {

    /** Text with a newline, a tab, a backslash, a quote, a bell, DEL, a C1 control, non-ASCII and an emoji. */
    private static final String AWKWARD = "line1\nline2\tq\"\\ \u0007\u007f\u0085 é 😀";

    private void publish(String topic, String replyTo, Map<String, String> headers, byte[]... payloads)
            throws Exception {
        try (Connection c = Courier.connect(server)) {
            for (byte[] p : payloads) {
                c.publish(topic, replyTo, headers, p);
            }
            c.flush(Duration.ofSeconds(5));
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void textModeEscapesNewlinesControlCharactersBackslashesAndInvalidUtf8() throws Exception {
        CompletableFuture<Integer> sub = subscribed("sub", "t.>", "--count", "2");
        publish("t.a", "", Map.of(), utf8(AWKWARD), bytes(0xFF, 0xFE, 0x00, 'A', '\r', '\n'));
        assertThat(sub.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(out()).isEqualTo("t.a line1\\nline2\\tq\"\\\\ \\x07\\x7F\\u0085 é 😀\n"
                + "t.a \\xFF\\xFE\\x00A\\r\\n\n");
    }

    @Test
    void headersShowTheReplyTopicAndEveryHeaderOnIndentedLines() throws Exception {
        CompletableFuture<Integer> sub = subscribed("sub", "t.>", "--count", "2", "--headers");
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("trace", "42");
        headers.put("note", "two\nlines");
        try (Connection c = Courier.connect(server)) {
            c.publish("t.a", "answers.here", headers, utf8("hello"));
            c.publish("t.b", "", Map.of(), utf8("plain"));
            c.flush(Duration.ofSeconds(5));
        }
        assertThat(sub.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(out()).isEqualTo("t.a hello\n"
                + "  reply-to: answers.here\n"
                + "  header trace: 42\n"
                + "  header note: two\\nlines\n"
                + "t.b plain\n");
    }

    @Test
    void timestampStartsEachLineWithTheReceiveTimeInUtcWithMilliseconds() throws Exception {
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        CompletableFuture<Integer> sub = subscribed("sub", "t.>", "--count", "1", "--timestamp");
        publish("t.a", "", Map.of(), utf8("hello"));
        assertThat(sub.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(out()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z t\\.a hello\n");
        assertThat(Instant.parse(out().split(" ")[0])).isBetween(before, Instant.now());
    }

    @Test
    void jsonWritesOneObjectPerMessageThatParsesBackToWhatWasSent() throws Exception {
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        CompletableFuture<Integer> sub = subscribed("sub", "t.>", "--count", "3", "--json");
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("trace", "42");
        headers.put("odd \"key\"", "tab\there\u0001");
        byte[] binary = bytes(0xFF, 0xFE, 0x00, 'A', '\n', 0xC3);
        try (Connection c = Courier.connect(server)) {
            c.publish("t.text", "answers.here", headers, utf8(AWKWARD));
            c.publish("t.bin", "", Map.of(), binary);
            c.publish("t.empty", "", Map.of(), new byte[0]);
            c.flush(Duration.ofSeconds(5));
        }
        assertThat(sub.get(10, TimeUnit.SECONDS)).isZero();

        List<String> lines = out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(out()).endsWith("}\n");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> objects = lines.stream().map(l -> (Map<String, Object>) StrictJson.parse(l)).toList();

        Map<String, Object> text = objects.get(0);
        assertThat(text.keySet()).containsExactly("received", "topic", "reply", "headers", "payload");
        assertThat(text).containsEntry("topic", "t.text").containsEntry("reply", "answers.here")
                .containsEntry("payload", AWKWARD).containsEntry("headers", headers);
        assertThat(Instant.parse((String) text.get("received"))).isBetween(before, Instant.now());
        assertThat((String) text.get("received")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");

        Map<String, Object> bin = objects.get(1);
        assertThat(bin.keySet()).containsExactly("received", "topic", "headers", "payload_base64");
        assertThat(Base64.getDecoder().decode((String) bin.get("payload_base64"))).isEqualTo(binary);
        assertThat(bin.get("headers")).isEqualTo(Map.of());

        assertThat(objects.get(2)).containsEntry("topic", "t.empty").containsEntry("payload", "");
    }

    @Test
    void conflictingOutputOptionsAreUsageErrors() {
        String[][] conflicts = {
                {"sub", "t", "--raw", "--json"},
                {"sub", "t", "--raw", "--headers"},
                {"sub", "t", "--raw", "--timestamp"},
                {"sub", "t", "--no-newline"},
                {"sub", "t", "--json", "--headers"},
        };
        for (String[] args : conflicts) {
            err.reset();
            assertThat(Main.run(args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err()).as(String.join(" ", args)).startsWith("courier sub: ")
                    .endsWith("; see 'courier sub --help'\n");
            assertThat(err().lines()).hasSize(1);
        }
    }

    @Test
    void subExitsWithOneWhenStandardOutputCannotBeWritten() throws Exception {
        System.setOut(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("Broken pipe");
            }
        }, true));
        CompletableFuture<Integer> sub = subscribed("sub", "t.>");
        publish("t.a", "", Map.of(), utf8("hello"));
        assertThat(sub.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(err()).endsWith("courier sub: cannot write to standard output\n");
    }
}
