package io.courier.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps docs/protocol.md honest: every hex example in it is what the codec writes and reads, and its error-code table
 * lists exactly the codes of {@link ErrorCode}.
 */
class ProtocolSpecExamplesTest {

    private static String spec;

    @BeforeAll
    static void readSpec() throws IOException {
        Path moduleDir = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        spec = Files.readString(moduleDir.resolve("../docs/protocol.md"), StandardCharsets.UTF_8);
    }

    @Test
    void connectExampleMatchesTheCodec() {
        assertExample(new Connect(1, "app", "java-0.1", "", "", 5000, true),
                "00 00 00 1a 01 01 01 00 00 13 88 00 03 61 70 70 00 08 6a 61 76 61 2d 30 2e 31 00 00 00 00");
    }

    @Test
    void connectedExampleMatchesTheCodec() {
        assertExample(new Connected(1, "n1", "0.1.0", 1_048_576, 5000, List.of("10.0.0.2:4222")),
                "00 00 00 26 02 01 00 10 00 00 00 00 13 88 00 02 6e 31 00 05 30 2e 31 2e 30 00 01 00 0d 31 30 2e 30"
                        + " 2e 30 2e 32 3a 34 32 32 32");
    }

    @Test
    void pubAndMsgExamplesMatchTheCodec() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("k", "v");
        byte[] hi = "hi".getBytes(StandardCharsets.US_ASCII);
        assertExample(new Publish("orders.eu", "", headers, hi),
                "00 00 00 1c 03 00 09 6f 72 64 65 72 73 2e 65 75 00 00 00 01 00 01 6b 00 01 76 00 00 00 02 68 69");
        assertExample(new Message(7, "orders.eu", "", headers, hi),
                "00 00 00 20 06 00 00 00 07 00 09 6f 72 64 65 72 73 2e 65 75 00 00 00 01 00 01 6b 00 01 76 00 00 00"
                        + " 02 68 69");
        assertExample(new Publish("svc.time", "_r.1", Map.of(), new byte[0]),
                "00 00 00 17 03 00 08 73 76 63 2e 74 69 6d 65 00 04 5f 72 2e 31 00 00 00 00 00 00");
    }

    @Test
    void subUnsubPingPongAndErrExamplesMatchTheCodec() {
        assertExample(new Subscribe(7, "orders.*", "workers"),
                "00 00 00 18 04 00 00 00 07 00 08 6f 72 64 65 72 73 2e 2a 00 07 77 6f 72 6b 65 72 73");
        assertExample(new Unsubscribe(7, 10), "00 00 00 09 05 00 00 00 07 00 00 00 0a");
        assertExample(Ping.INSTANCE, "00 00 00 01 07");
        assertExample(Pong.INSTANCE, "00 00 00 01 08");
        assertExample(new Err(ErrorCode.INVALID_TOPIC, "bad"), "00 00 00 08 09 00 08 00 03 62 61 64");
        assertExample(new Info(List.of("10.0.0.2:4222", "10.0.0.3:4222")),
                "00 00 00 21 0a 00 02 00 0d 31 30 2e 30 2e 30 2e 32 3a 34 32 32 32"
                        + " 00 0d 31 30 2e 30 2e 30 2e 33 3a 34 32 32 32");
    }

    @Test
    void noRespondersExampleMatchesTheCodec() {
        Message reply = new Message(3, "_r.1", "", Map.of(Headers.STATUS, Headers.NO_RESPONDERS), new byte[0]);
        assertThat(Headers.isNoResponders(reply.headers())).isTrue();
        assertExample(reply, "00 00 00 28 06 00 00 00 03 00 04 5f 72 2e 31 00 00 00 01 00 0e 43 6f 75 72 69 65 72 2d"
                + " 53 74 61 74 75 73 00 03 35 30 33 00 00 00 00");
    }

    @Test
    void errorCodeTableListsEveryCodeWithItsNumberFatalityAndMeaning() {
        for (ErrorCode code : ErrorCode.values()) {
            String row = "| " + code.code() + " | `" + code.name() + "` | " + (code.fatal() ? "yes" : "no") + " | "
                    + code.meaning() + " |";
            assertThat(spec).as("docs/protocol.md error table row for " + code).contains(row);
        }
        long rows = spec.lines().filter(l -> l.matches("\\| \\d+ \\| `[A-Z_]+` \\| (yes|no) \\|.*")).count();
        assertThat(rows).as("error table rows").isEqualTo(ErrorCode.values().length);
    }

    @Test
    void frameTypeTableListsEveryTypeWithItsCode() {
        for (FrameType type : FrameType.values()) {
            assertThat(spec).contains(String.format("| `0x%02X` | %s |", type.code(), type.name()));
        }
    }

    /** The frame encodes to exactly {@code hex}, decodes back from it, and the spec shows that hex verbatim. */
    private static void assertExample(Frame frame, String hex) {
        byte[] bytes = FrameCodec.encode(frame);
        assertThat(hex(bytes)).as(frame.toString()).isEqualTo(hex);
        FrameCodec.Decoded decoded = FrameCodec.decodeFrame(
                ByteBuffer.wrap(bytes, FrameCodec.LENGTH_BYTES, bytes.length - FrameCodec.LENGTH_BYTES));
        assertThat(decoded).isEqualTo(new FrameCodec.Decoded.Success(frame));
        assertThat(spec).as("docs/protocol.md shows the example for " + frame).contains(hex);
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 3);
        for (byte b : bytes) {
            sb.append(sb.length() == 0 ? "" : " ").append(String.format("%02x", b));
        }
        return sb.toString();
    }
}
