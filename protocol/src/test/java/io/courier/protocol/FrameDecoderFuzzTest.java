package io.courier.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A mutational fuzzer of the stream decoder ({@link FrameDecoder} over {@link FrameCodec}): a million inputs by
 * default, mutants of valid frames of every type and random bytes, each fed whole and again split at random chunk
 * boundaries. Every input must end in frames, a need-more-bytes (the decoder holds the unfinished rest) or a decode
 * error of a documented code, exactly as a reference model of the framing says; nothing may be thrown. Valid frames
 * must round-trip. {@code -Dfuzz.seed} and {@code -Dfuzz.count} override the fixed seed and the count.
 */
class FrameDecoderFuzzTest {

    private static final int MAX_FRAME = 1024 * 1024;
    private static final int CORPUS_PER_TYPE = 64;
    private static final int MAX_CORPUS_FRAME = 2048;
    /** The codes a decode error may carry: anything else would be a decoder bug. */
    private static final Set<ErrorCode> DECODE_ERRORS =
            EnumSet.of(ErrorCode.MALFORMED_FRAME, ErrorCode.UNKNOWN_FRAME_TYPE, ErrorCode.FRAME_TOO_LARGE);

    /** What one input came to. */
    private record Outcome(List<Frame> frames, FrameCodec.Decoded.Failure failure, int buffered) { }

    @Test
    void mutatedAndRandomStreamsEndInFramesNeedMoreBytesOrADecodeError() {
        long seed = Fuzz.seed();
        int count = Fuzz.count();
        Random random = new Random(seed);
        Fuzz fuzz = new Fuzz(random);
        List<byte[]> corpus = corpus(new RandomFrames(random));
        Map<ErrorCode, Integer> failures = new EnumMap<>(ErrorCode.class);
        int[] ends = new int[3]; // frames only, need more bytes, decode error
        int reencodeRefused = 0;
        for (int i = 0; i < count; i++) {
            byte[] base = corpus.get(random.nextInt(corpus.size()));
            if (random.nextInt(8) == 0) {
                base = concat(base, corpus.get(random.nextInt(corpus.size())));
            }
            byte[] input = random.nextInt(16) == 0 ? fuzz.randomBytes()
                    : fuzz.mutate(base, corpus.get(random.nextInt(corpus.size())), 0);
            int maxFrame = random.nextInt(10) == 0 ? 1 + random.nextInt(300) : MAX_FRAME;
            int[] chunks = fuzz.chunks(input.length);
            Outcome expected;
            Outcome whole;
            Outcome split;
            try {
                expected = model(input, maxFrame);
                whole = feed(input, new int[] {input.length}, maxFrame);
                split = feed(input, chunks, maxFrame);
            } catch (Throwable t) {
                throw new AssertionError("decoding threw " + t + "; " + Fuzz.reproduce(seed, i, input), t);
            }
            if (!expected.equals(whole) || !expected.equals(split)) {
                fail("outcomes differ; " + Fuzz.reproduce(seed, i, input) + "\nmodel: " + expected + "\nwhole: "
                        + whole + "\nsplit: " + split);
            }
            if (whole.failure != null) {
                if (!DECODE_ERRORS.contains(whole.failure.code()) || whole.failure.reason().isEmpty()) {
                    fail("undocumented decode error " + whole.failure + "; " + Fuzz.reproduce(seed, i, input));
                }
                failures.merge(whole.failure.code(), 1, Integer::sum);
                ends[2]++;
            } else {
                ends[whole.buffered > 0 ? 1 : 0]++;
            }
            for (Frame f : whole.frames) {
                if (!reencodesToItself(f, seed, i, input)) {
                    reencodeRefused++;
                }
            }
        }
        System.out.printf("frame decoder fuzz: fuzz.seed=%d inputs=%d ended-in-frames=%d need-more-bytes=%d "
                + "decode-errors=%d %s re-encode-refused=%d%n", seed, count, ends[0], ends[1], ends[2], failures,
                reencodeRefused);
        assertThat(ends[0] + ends[1] + ends[2]).isEqualTo(count);
        if (count >= 100_000) {
            assertThat(failures).as("the mutants reach every decode error").containsOnlyKeys(DECODE_ERRORS);
            assertThat(ends[0]).as("some mutants are still valid streams").isPositive();
            assertThat(ends[1]).as("some mutants are cut short").isPositive();
        }
    }

    @Test
    void validFramesOfEveryTypeRoundTripWholeAndSplit() {
        long seed = Fuzz.seed();
        int count = Math.max(FrameType.values().length, Fuzz.count() / 20);
        Random random = new Random(seed);
        Fuzz fuzz = new Fuzz(random);
        RandomFrames frames = new RandomFrames(random);
        FrameType[] types = FrameType.values();
        for (int i = 0; i < count; i++) {
            Frame frame = frames.of(types[i % types.length]);
            byte[] bytes = FrameCodec.encode(frame);
            Outcome whole = feed(bytes, new int[] {bytes.length}, MAX_FRAME);
            Outcome split = feed(bytes, fuzz.chunks(bytes.length), MAX_FRAME);
            Outcome expected = new Outcome(List.of(frame), null, 0);
            if (!expected.equals(whole) || !expected.equals(split)) {
                fail("round trip failed for " + frame + "; " + Fuzz.reproduce(seed, i, bytes) + "\nwhole: " + whole
                        + "\nsplit: " + split);
            }
        }
    }

    /** Valid encoded frames, {@link #CORPUS_PER_TYPE} of every type, small enough to mutate quickly. */
    private static List<byte[]> corpus(RandomFrames frames) {
        List<byte[]> corpus = new ArrayList<>();
        for (FrameType type : FrameType.values()) {
            for (int n = 0; n < CORPUS_PER_TYPE; ) {
                Frame f = frames.of(type);
                if (FrameCodec.encodedSize(f) <= MAX_CORPUS_FRAME) {
                    corpus.add(FrameCodec.encode(f));
                    n++;
                }
            }
        }
        return corpus;
    }

    /** Feeds {@code input} to a new decoder in pieces of {@code chunks} bytes, checking each piece is consumed. */
    private static Outcome feed(byte[] input, int[] chunks, int maxFrame) {
        FrameDecoder decoder = new FrameDecoder(maxFrame);
        List<Frame> frames = new ArrayList<>();
        FrameCodec.Decoded.Failure failure = null;
        int at = 0;
        for (int size : chunks) {
            ByteBuffer chunk = ByteBuffer.wrap(input, at, size);
            FrameCodec.Decoded.Failure f = decoder.decode(chunk, frames::add);
            if (chunk.hasRemaining()) {
                throw new AssertionError("the decoder left " + chunk.remaining() + " bytes of a chunk unread");
            }
            if (failure != null && f != failure) {
                throw new AssertionError("a failed decoder recovered or changed its failure: " + failure + " then " + f);
            }
            failure = f;
            at += size;
        }
        return new Outcome(frames, failure, failure == null ? decoder.bufferedBytes() : 0);
    }

    /**
     * The framing as docs/protocol.md states it, the simplest way: a u32 length (1 to the maximum), then that many
     * bytes holding a type and its body, decoded on their own; a stream that stops within a frame needs more bytes.
     */
    private static Outcome model(byte[] input, int maxFrame) {
        List<Frame> frames = new ArrayList<>();
        int at = 0;
        while (at < input.length) {
            if (input.length - at < FrameCodec.LENGTH_BYTES) {
                return new Outcome(frames, null, input.length - at);
            }
            long length = ByteBuffer.wrap(input, at, 4).getInt() & 0xFFFF_FFFFL;
            if (length == 0) {
                return new Outcome(frames, FrameCodec.checkFrameLength(0, maxFrame), 0);
            }
            if (length > maxFrame) {
                return new Outcome(frames, FrameCodec.checkFrameLength((int) length, maxFrame), 0);
            }
            if (input.length - at - 4 < length) {
                // The decoder holds the body bytes that came; the length prefix is read, not held.
                return new Outcome(frames, null, input.length - at - 4);
            }
            byte[] body = java.util.Arrays.copyOfRange(input, at + 4, at + 4 + (int) length);
            FrameCodec.Decoded decoded = FrameCodec.decodeFrame(ByteBuffer.wrap(body));
            if (decoded instanceof FrameCodec.Decoded.Failure f) {
                return new Outcome(frames, f, 0);
            }
            frames.add(((FrameCodec.Decoded.Success) decoded).frame());
            at += 4 + (int) length;
        }
        return new Outcome(frames, null, 0);
    }

    /**
     * A decoded frame, encoded again, decodes to itself. False when the encoder refuses it: a string with invalid
     * UTF-8 decodes with replacement characters, which may make it too long for a string field.
     */
    private static boolean reencodesToItself(Frame frame, long seed, int input, byte[] bytes) {
        byte[] again;
        try {
            again = FrameCodec.encode(frame);
        } catch (IllegalArgumentException e) {
            return false;
        }
        FrameCodec.Decoded decoded = FrameCodec.decodeFrame(ByteBuffer.wrap(again, 4, again.length - 4));
        if (!(decoded instanceof FrameCodec.Decoded.Success s) || !Objects.equals(s.frame(), frame)) {
            fail("decoded " + frame + " re-encodes to " + decoded + "; " + Fuzz.reproduce(seed, input, bytes));
        }
        return true;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] joined = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }
}
