package io.courier.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Bad bytes never make the codec or the decoder throw: they yield a Failure with the right error code. */
class FrameDecoderBadInputTest {

    private static final int MAX_FRAME = 1024 * 1024;
    private static final int GARBAGE_BUFFERS = 5_000;

    // ---------------------------------------------------------------- random garbage

    @Test
    void neverThrowsOnRandomGarbageSplitAnywhere() {
        long seed = RandomFrames.seed();
        Random random = new Random(seed);
        for (int i = 0; i < GARBAGE_BUFFERS; i++) {
            byte[] garbage = garbage(random);
            String context = RandomFrames.reproduce(seed) + ", buffer #" + i + ": " + hex(garbage);
            FrameDecoder decoder = new FrameDecoder(1 + random.nextInt(300));
            List<Frame> out = new ArrayList<>();
            FrameCodec.Decoded.Failure first = null;
            int at = 0;
            while (at < garbage.length) {
                int size = Math.min(garbage.length - at, 1 + random.nextInt(random.nextBoolean() ? 4 : 64));
                ByteBuffer chunk = ByteBuffer.wrap(garbage, at, size);
                FrameCodec.Decoded.Failure failure = decoder.decode(chunk, out::add);
                at += size;
                assertThat(chunk.hasRemaining()).as("chunk consumed " + context).isFalse();
                if (first != null) {
                    assertThat(failure).as("stays failed " + context).isSameAs(first);
                }
                first = failure;
            }
        }
    }

    @Test
    void neverThrowsDecodingRandomGarbageAsAFrameBody() {
        long seed = RandomFrames.seed();
        Random random = new Random(seed);
        for (int i = 0; i < GARBAGE_BUFFERS; i++) {
            byte[] garbage = garbage(random);
            FrameCodec.Decoded decoded = FrameCodec.decodeFrame(ByteBuffer.wrap(garbage));
            assertThat(decoded).as(RandomFrames.reproduce(seed) + ", buffer #" + i + ": " + hex(garbage)).isNotNull();
        }
    }

    @Test
    void neverThrowsOnMutatedValidFrames() {
        long seed = RandomFrames.seed();
        Random random = new Random(seed);
        RandomFrames frames = new RandomFrames(random);
        for (int i = 0; i < GARBAGE_BUFFERS; i++) {
            byte[] bytes = FrameCodec.encode(frames.any());
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
            }
            String context = RandomFrames.reproduce(seed) + ", buffer #" + i;
            FrameDecoder decoder = new FrameDecoder(MAX_FRAME);
            decoder.decode(ByteBuffer.wrap(bytes), frame -> { });
            FrameCodec.Decoded decoded =
                    FrameCodec.decodeFrame(ByteBuffer.wrap(bytes, FrameCodec.LENGTH_BYTES, bytes.length - 4));
            assertThat(decoded).as(context).isNotNull();
        }
    }

    // ---------------------------------------------------------------- the envelope

    @Test
    void rejectsLengthZeroAsMalformed() {
        assertFailsWholeAndByteByByte(new byte[] {0, 0, 0, 0}, MAX_FRAME, ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void rejectsAnOversizedLengthBeforeBufferingTheBody() {
        int[] lengths = {MAX_FRAME + 1, Integer.MAX_VALUE, 0x8000_0000, 0xFFFF_FFFF};
        for (int length : lengths) {
            byte[] prefix = ByteBuffer.allocate(4).putInt(length).array();
            // Only the prefix is fed: a decoder that allocated the frame would run out of memory or wait for the body.
            FrameDecoder decoder = assertFailsWholeAndByteByByte(prefix, MAX_FRAME, ErrorCode.FRAME_TOO_LARGE);
            assertThat(decoder.bufferedBytes()).as("length " + Integer.toUnsignedString(length)).isZero();
        }
    }

    @Test
    void rejectsAFrameOneByteOverTheLimitButNotAtIt() {
        byte[] ping = FrameCodec.encode(Ping.INSTANCE);
        assertFailsWholeAndByteByByte(ping, 1, null);
        byte[] sub = FrameCodec.encode(new Subscribe(1, "a.b", ""));
        int length = sub.length - FrameCodec.LENGTH_BYTES;
        assertThat(decodeAll(new FrameDecoder(length), sub)).isNull();
        assertFailsWholeAndByteByByte(sub, length - 1, ErrorCode.FRAME_TOO_LARGE);
    }

    @Test
    void rejectsEveryUnknownTypeByte() {
        EnumSet<FrameType> known = EnumSet.allOf(FrameType.class);
        for (int code = 0; code < 256; code++) {
            if (FrameType.of(code) != null) {
                known.remove(FrameType.of(code));
                continue;
            }
            byte[] frame = {0, 0, 0, 3, (byte) code, 0, 0};
            assertFailsWholeAndByteByByte(frame, MAX_FRAME, ErrorCode.UNKNOWN_FRAME_TYPE);
        }
        assertThat(known).as("every frame type has a distinct code").isEmpty();
    }

    // ---------------------------------------------------------------- bodies that do not match their length

    @Test
    void rejectsAPubWhosePayloadLengthExceedsTheFrame() {
        byte[] pub = FrameCodec.encode(new Publish("orders", "", Map.of(), new byte[] {1, 2, 3}));
        int payloadLengthAt = pub.length - 3 - 4;
        for (int claimed : new int[] {4, 1000, Integer.MAX_VALUE, -1}) {
            byte[] bad = pub.clone();
            ByteBuffer.wrap(bad).putInt(payloadLengthAt, claimed);
            assertFailsWholeAndByteByByte(bad, MAX_FRAME, ErrorCode.MALFORMED_FRAME);
        }
    }

    @Test
    void rejectsAStringLengthPastTheEnd() {
        byte[] sub = FrameCodec.encode(new Subscribe(7, "orders.*", "workers"));
        int patternLengthAt = FrameCodec.HEADER_BYTES + 4;
        for (int claimed : new int[] {100, 0xFFFF}) {
            byte[] bad = sub.clone();
            ByteBuffer.wrap(bad).putShort(patternLengthAt, (short) claimed);
            assertFailsWholeAndByteByByte(bad, MAX_FRAME, ErrorCode.MALFORMED_FRAME);
        }
    }

    @Test
    void rejectsABodyShorterThanItsFixedFields() {
        byte[] unsub = {0, 0, 0, 5, (byte) FrameType.UNSUB.code(), 0, 0, 0, 1}; // sid but no max_msgs
        assertFailsWholeAndByteByByte(unsub, MAX_FRAME, ErrorCode.MALFORMED_FRAME);
        byte[] pub = {0, 0, 0, 1, (byte) FrameType.PUB.code()};
        assertFailsWholeAndByteByByte(pub, MAX_FRAME, ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void rejectsAConnectHeartbeatBeyondTheSignedRange() {
        byte[] connect = FrameCodec.encode(new Connect(1, "", "", "", "", 0, false));
        ByteBuffer.wrap(connect).putInt(FrameCodec.HEADER_BYTES + 2, 0x8000_0000);
        assertFailsWholeAndByteByByte(connect, MAX_FRAME, ErrorCode.MALFORMED_FRAME);
    }

    @ParameterizedTest
    @EnumSource(FrameType.class)
    void rejectsTrailingBytes(FrameType type) {
        long seed = RandomFrames.seed();
        RandomFrames frames = new RandomFrames(new Random(seed));
        for (int i = 0; i < 200; i++) {
            byte[] valid = FrameCodec.encode(frames.of(type));
            // A SUB may end in one flags byte (version 3): past it, bytes are trailing.
            int extra = (type == FrameType.SUB ? 2 : 1) + frames.random().nextInt(8);
            byte[] bad = Arrays.copyOf(valid, valid.length + extra);
            ByteBuffer.wrap(bad).putInt(0, valid.length - FrameCodec.LENGTH_BYTES + extra);
            FrameDecoder decoder = new FrameDecoder(MAX_FRAME);
            List<Frame> out = new ArrayList<>();
            FrameCodec.Decoded.Failure failure = decoder.decode(ByteBuffer.wrap(bad), out::add);
            assertThat(failure).as(RandomFrames.reproduce(seed) + ", frame #" + i).isNotNull();
            assertThat(failure.code()).as(RandomFrames.reproduce(seed) + ", frame #" + i)
                    .isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(out).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(FrameType.class)
    void rejectsEveryTruncationOfAFrameBody(FrameType type) {
        long seed = RandomFrames.seed();
        RandomFrames frames = new RandomFrames(new Random(seed));
        for (int i = 0; i < 30; i++) {
            Frame frame = frames.of(type);
            byte[] body = Arrays.copyOfRange(FrameCodec.encode(frame), FrameCodec.LENGTH_BYTES,
                    FrameCodec.encodedSize(frame));
            // A UDP SUB without its last byte, the optional flags byte, is a well-formed TCP SUB.
            int truncations = frame instanceof Subscribe sub && sub.udp() ? body.length - 1 : body.length;
            for (int prefix = 0; prefix < truncations; prefix = nextPrefix(prefix, truncations)) {
                String context = RandomFrames.reproduce(seed) + ", " + frame + ", first " + prefix + " of "
                        + body.length + " bytes";
                ByteBuffer in = ByteBuffer.wrap(body, 0, prefix);
                FrameCodec.Decoded decoded = FrameCodec.decodeFrame(in);
                assertThat(decoded).as(context).isInstanceOf(FrameCodec.Decoded.Failure.class);
                assertThat(((FrameCodec.Decoded.Failure) decoded).code()).as(context)
                        .isEqualTo(ErrorCode.MALFORMED_FRAME);
                assertThat(in.hasRemaining()).as(context).isFalse();
            }
        }
    }

    // ---------------------------------------------------------------- after a failure

    @Test
    void keepsReturningTheFailureAndDeliversNothingMore() {
        byte[] ping = FrameCodec.encode(Ping.INSTANCE);
        byte[] bad = {0, 0, 0, 1, (byte) 0xEE};
        byte[] stream = concat(ping, bad, ping);
        FrameDecoder decoder = new FrameDecoder(MAX_FRAME);
        List<Frame> out = new ArrayList<>();

        FrameCodec.Decoded.Failure failure = decoder.decode(ByteBuffer.wrap(stream), out::add);
        assertThat(out).containsExactly(Ping.INSTANCE);
        assertThat(failure.code()).isEqualTo(ErrorCode.UNKNOWN_FRAME_TYPE);

        for (byte[] more : List.of(ping, FrameCodec.encode(new Publish("a", new byte[10])), new byte[0])) {
            ByteBuffer input = ByteBuffer.wrap(more);
            assertThat(decoder.decode(input, out::add)).isSameAs(failure);
            assertThat(input.hasRemaining()).isFalse();
        }
        assertThat(out).containsExactly(Ping.INSTANCE);
    }

    @Test
    void waitsForTheRestOfATruncatedStreamWithoutFailing() {
        byte[] pub = FrameCodec.encode(new Publish("a.b", "", Map.of("k", "v"), new byte[100]));
        for (int prefix = 0; prefix < pub.length; prefix++) {
            FrameDecoder decoder = new FrameDecoder(MAX_FRAME);
            List<Frame> out = new ArrayList<>();
            assertThat(decoder.decode(ByteBuffer.wrap(pub, 0, prefix), out::add)).as("prefix " + prefix).isNull();
            assertThat(out).as("prefix " + prefix).isEmpty();
            assertThat(decoder.decode(ByteBuffer.wrap(pub, prefix, pub.length - prefix), out::add)).isNull();
            assertThat(out).as("prefix " + prefix).hasSize(1);
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Feeds {@code bytes} whole to one decoder and byte by byte to another; both must fail with {@code expected}
     * without throwing, or both succeed when it is {@code null}. Returns the byte-by-byte decoder.
     */
    private static FrameDecoder assertFailsWholeAndByteByByte(byte[] bytes, int maxFrame, ErrorCode expected) {
        FrameCodec.Decoded.Failure whole = decodeAll(new FrameDecoder(maxFrame), bytes);
        FrameDecoder byByte = new FrameDecoder(maxFrame);
        FrameCodec.Decoded.Failure split = null;
        for (int i = 0; i < bytes.length && split == null; i++) {
            split = byByte.decode(ByteBuffer.wrap(bytes, i, 1), frame -> { });
        }
        if (expected == null) {
            assertThat(whole).as(hex(bytes)).isNull();
            assertThat(split).as(hex(bytes)).isNull();
        } else {
            assertThat(whole).as(hex(bytes)).isNotNull();
            assertThat(whole.code()).as(hex(bytes) + ": " + whole.reason()).isEqualTo(expected);
            assertThat(split).as(hex(bytes)).isNotNull();
            assertThat(split.code()).as(hex(bytes) + ": " + split.reason()).isEqualTo(expected);
            assertThat(whole.reason()).isNotBlank();
        }
        return byByte;
    }

    /**
     * Every prefix length, except that in the middle of a large frame (a long payload) it strides, to keep the test
     * linear rather than quadratic: all the fields sit within the first and last few KiB.
     */
    private static int nextPrefix(int prefix, int length) {
        int edge = 4096;
        return prefix < edge || prefix >= length - edge ? prefix + 1 : Math.max(prefix + 1, Math.min(prefix + 97, length - edge));
    }

    private static FrameCodec.Decoded.Failure decodeAll(FrameDecoder decoder, byte[] bytes) {
        return decoder.decode(ByteBuffer.wrap(bytes), frame -> { });
    }

    /** Random bytes; half the time behind a plausible length prefix and type byte, to get past the envelope. */
    private static byte[] garbage(Random random) {
        byte[] bytes = new byte[random.nextInt(200)];
        random.nextBytes(bytes);
        if (bytes.length >= 5 && random.nextBoolean()) {
            int length = random.nextBoolean() ? bytes.length - 4 : random.nextInt(bytes.length);
            ByteBuffer.wrap(bytes).putInt(0, length).put(4, (byte) (1 + random.nextInt(FrameType.values().length)));
        }
        return bytes;
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuffer out = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (byte[] p : parts) {
            out.put(p);
        }
        return out.array();
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 3);
        for (byte b : bytes) {
            sb.append(String.format("%02x ", b));
        }
        return sb.toString().trim();
    }
}
