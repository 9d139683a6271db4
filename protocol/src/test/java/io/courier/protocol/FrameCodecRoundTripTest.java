package io.courier.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Property: for every frame, encode then decode gives back an equal frame, in exactly encodedSize bytes. */
class FrameCodecRoundTripTest {

    private static final int FRAMES_PER_TYPE = 3_000;

    @ParameterizedTest
    @EnumSource(FrameType.class)
    void decodesWhatItEncodesForEveryFrameType(FrameType type) {
        long seed = RandomFrames.seed();
        RandomFrames frames = new RandomFrames(new Random(seed));
        for (int i = 0; i < FRAMES_PER_TYPE; i++) {
            Frame frame = frames.of(type);
            String context = RandomFrames.reproduce(seed) + ", frame #" + i + ": " + frame;

            byte[] bytes = FrameCodec.encode(frame);
            assertThat(bytes.length).as(context).isEqualTo(FrameCodec.encodedSize(frame));
            ByteBuffer header = ByteBuffer.wrap(bytes);
            assertThat(header.getInt()).as("length field " + context).isEqualTo(bytes.length - FrameCodec.LENGTH_BYTES);
            assertThat(header.get() & 0xFF).as("type byte " + context).isEqualTo(type.code());

            assertEncodesInPlace(frame, bytes, frames.random(), context);

            Frame decoded = decode(bytes, i % 4, frames.random(), context);
            assertThat(decoded).as(context).isEqualTo(frame);
            assertSameHeaderOrder(frame, decoded, context);
            assertThat(FrameCodec.decode(bytes)).as("whole " + context).isEqualTo(new FrameCodec.Decoded.Success(frame));
        }
    }

    @Test
    void aWholeFrameWhoseLengthDoesNotMatchItsBytesIsRefused() {
        byte[] bytes = FrameCodec.encode(Ping.INSTANCE);
        assertThat(FrameCodec.decode(java.util.Arrays.copyOf(bytes, bytes.length + 1)))
                .isInstanceOf(FrameCodec.Decoded.Failure.class);
        assertThat(FrameCodec.decode(java.util.Arrays.copyOf(bytes, 3))).isInstanceOf(FrameCodec.Decoded.Failure.class);
        bytes[0] = (byte) 0x80;
        assertThat(FrameCodec.decode(bytes)).isInstanceOf(FrameCodec.Decoded.Failure.class);
    }

    @Test
    void coversEveryErrorCodeAndItsNumber() {
        for (ErrorCode code : ErrorCode.values()) {
            Err err = new Err(code, "reason for " + code);
            assertThat(roundTrip(err)).isEqualTo(err);
            assertThat(ErrorCode.of(code.code())).isSameAs(code);
        }
    }

    @Test
    void msgBodyIsSidFollowedByTheExactPubBody() {
        long seed = RandomFrames.seed();
        RandomFrames frames = new RandomFrames(new Random(seed));
        for (int i = 0; i < FRAMES_PER_TYPE; i++) {
            Publish pub = (Publish) frames.of(FrameType.PUB);
            int sid = frames.anyInt();
            Message msg = new Message(sid, pub.topic(), pub.replyTo(), pub.headers(), pub.payload());
            String context = RandomFrames.reproduce(seed) + ", frame #" + i + ": " + pub + " sid=" + sid;

            byte[] pubBytes = FrameCodec.encode(pub);
            byte[] msgBytes = FrameCodec.encode(msg);
            int pubBody = pubBytes.length - FrameCodec.HEADER_BYTES;
            assertThat(FrameCodec.deliverySize(pub.topic(), pub.replyTo(), pub.headers(), pub.payload().length))
                    .as(context).isEqualTo(pubBody);
            assertThat(ByteBuffer.wrap(msgBytes, FrameCodec.HEADER_BYTES, 4).getInt()).as(context).isEqualTo(sid);
            assertThat(Arrays.copyOfRange(msgBytes, FrameCodec.HEADER_BYTES + 4, msgBytes.length))
                    .as(context).isEqualTo(Arrays.copyOfRange(pubBytes, FrameCodec.HEADER_BYTES, pubBytes.length));
        }
    }

    @Test
    void carriesStringsOfExactlyTheFieldMaximum() {
        String ascii = "a".repeat(FrameCodec.MAX_STRING_BYTES);
        String threeByteChars = "\u4E2D".repeat(FrameCodec.MAX_STRING_BYTES / 3);
        assertThat(threeByteChars.getBytes(StandardCharsets.UTF_8)).hasSize(FrameCodec.MAX_STRING_BYTES);
        String emojiAndAscii = "\uD83D\uDE00".repeat(16_383) + "abc";
        assertThat(emojiAndAscii.getBytes(StandardCharsets.UTF_8)).hasSize(FrameCodec.MAX_STRING_BYTES);

        for (String s : List.of(ascii, threeByteChars, emojiAndAscii)) {
            Publish pub = new Publish(s, s, Map.of(s, s), new byte[0]);
            assertThat(roundTrip(pub)).isEqualTo(pub);
            Subscribe sub = new Subscribe(1, s, s);
            assertThat(roundTrip(sub)).isEqualTo(sub);
        }
    }

    @Test
    void refusesToEncodeAStringLongerThanTheField() {
        String tooLong = "\u00E9".repeat(FrameCodec.MAX_STRING_BYTES / 2 + 1); // 65536 bytes of UTF-8
        Publish pub = new Publish(tooLong, new byte[0]);
        assertThatThrownBy(() -> FrameCodec.encode(pub)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameCodec.encodedSize(pub)).isInstanceOf(IllegalArgumentException.class);
        Subscribe sub = new Subscribe(1, "a", "q".repeat(FrameCodec.MAX_STRING_BYTES + 1));
        assertThatThrownBy(() -> FrameCodec.encode(sub)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesToEncodeAVersionThatDoesNotFitInAByte() {
        assertThat(roundTrip(new Connect(255, "", "", "", "", 0, false))).isEqualTo(new Connect(255, "", "", "", "", 0, false));
        assertThatThrownBy(() -> FrameCodec.encode(new Connect(256, "", "", "", "", 0, false)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameCodec.encode(new Connected(-1, "", "", 0, 0, List.of())))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void truncatesAnErrReasonTooLongForTheFieldInsteadOfFailing() {
        String reason = "x".repeat(100_000);
        Err decoded = (Err) roundTrip(new Err(ErrorCode.INTERNAL_ERROR, reason));
        assertThat(decoded.code()).isEqualTo(ErrorCode.INTERNAL_ERROR);
        assertThat(reason).startsWith(decoded.reason());
        assertThat(decoded.reason().getBytes(StandardCharsets.UTF_8).length).isBetween(1, FrameCodec.MAX_STRING_BYTES);
    }

    @Test
    void rejectsValuesTheUnsignedFieldsCannotCarry() {
        assertThatThrownBy(() -> new Unsubscribe(1, 0x1_0000_0000L)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Unsubscribe(1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Connect(1, "", "", "", "", -1, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decodesAnUnknownErrorCodeAsAFatalInternalErrorKeepingTheReason() {
        byte[] body = {(byte) FrameType.ERR.code(), 0x03, (byte) 0xE7, 0x00, 0x02, 'h', 'i'}; // code 999
        FrameCodec.Decoded decoded = FrameCodec.decodeFrame(ByteBuffer.wrap(body));
        assertThat(decoded).isInstanceOf(FrameCodec.Decoded.Success.class);
        Err err = (Err) ((FrameCodec.Decoded.Success) decoded).frame();
        assertThat(err.code()).isEqualTo(ErrorCode.INTERNAL_ERROR);
        assertThat(err.code().fatal()).isTrue();
        assertThat(err.reason()).contains("999").endsWith("hi");
    }

    // ---------------------------------------------------------------- helpers

    static Frame roundTrip(Frame frame) {
        byte[] bytes = FrameCodec.encode(frame);
        return decode(bytes, 0, new Random(0), frame.toString());
    }

    /** Encoding into a shared buffer at an offset writes the same bytes and advances by encodedSize. */
    private static void assertEncodesInPlace(Frame frame, byte[] expected, Random random, String context) {
        int offset = random.nextInt(16);
        ByteBuffer out = ByteBuffer.allocate(offset + expected.length + 16);
        out.position(offset);
        FrameCodec.encode(frame, out);
        assertThat(out.position() - offset).as("bytes written " + context).isEqualTo(FrameCodec.encodedSize(frame));
        assertThat(Arrays.copyOfRange(out.array(), offset, out.position())).as(context).isEqualTo(expected);
    }

    /**
     * Decodes the type byte and body of an encoded frame, from one of four kinds of buffer: heap at an offset, a
     * slice (non-zero array offset), a direct buffer, a read-only buffer (no accessible array).
     */
    private static Frame decode(byte[] encoded, int bufferKind, Random random, String context) {
        int bodyLength = encoded.length - FrameCodec.LENGTH_BYTES;
        ByteBuffer in;
        switch (bufferKind) {
            case 0:
                in = ByteBuffer.wrap(encoded, FrameCodec.LENGTH_BYTES, bodyLength);
                break;
            case 1: {
                int offset = 1 + random.nextInt(32);
                byte[] padded = new byte[offset + encoded.length + 8];
                System.arraycopy(encoded, 0, padded, offset, encoded.length);
                in = ByteBuffer.wrap(padded, offset + FrameCodec.LENGTH_BYTES, bodyLength).slice();
                break;
            }
            case 2:
                in = ByteBuffer.allocateDirect(bodyLength).put(encoded, FrameCodec.LENGTH_BYTES, bodyLength).flip();
                break;
            default:
                in = ByteBuffer.wrap(encoded, FrameCodec.LENGTH_BYTES, bodyLength).asReadOnlyBuffer();
                break;
        }
        FrameCodec.Decoded decoded = FrameCodec.decodeFrame(in);
        assertThat(decoded).as(context).isInstanceOf(FrameCodec.Decoded.Success.class);
        assertThat(in.hasRemaining()).as("decodeFrame consumes the frame " + context).isFalse();
        return ((FrameCodec.Decoded.Success) decoded).frame();
    }

    private static void assertSameHeaderOrder(Frame expected, Frame actual, String context) {
        if (expected instanceof Publish p) {
            assertThat(new ArrayList<>(((Publish) actual).headers().keySet())).as(context)
                    .containsExactlyElementsOf(p.headers().keySet());
        } else if (expected instanceof Message m) {
            assertThat(new ArrayList<>(((Message) actual).headers().keySet())).as(context)
                    .containsExactlyElementsOf(m.headers().keySet());
        }
    }
}
