package io.courier.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Property: a stream of frames cut into chunks anywhere decodes to the same frames in the same order, each delivered
 * as soon as its last byte arrives, and the decoder never holds more than one frame.
 */
class FrameDecoderSplitTest {

    private static final int FRAMES_PER_STREAM = 600;
    private static final int RANDOM_SPLITS = 24;

    @Test
    void decodesTheStreamInOneChunk() {
        long seed = RandomFrames.seed();
        Stream stream = Stream.random(new Random(seed));
        feedAndCheck(stream, List.of(stream.bytes.length), seed, "one chunk");
    }

    @Test
    void decodesTheStreamOneByteAtATime() {
        long seed = RandomFrames.seed();
        Stream stream = Stream.random(new Random(seed));
        List<Integer> chunks = new ArrayList<>();
        for (int i = 0; i < stream.bytes.length; i++) {
            chunks.add(1);
        }
        feedAndCheck(stream, chunks, seed, "1-byte chunks");
    }

    @Test
    void decodesTheStreamSplitAtRandomBoundaries() {
        long seed = RandomFrames.seed();
        Random random = new Random(seed);
        for (int split = 0; split < RANDOM_SPLITS; split++) {
            Stream stream = Stream.random(random);
            int maxChunk = switch (split % 4) {
                case 0 -> 8;                         // lots of split length prefixes
                case 1 -> 300;                       // around a small frame
                case 2 -> 70_000;                    // around a large frame
                default -> stream.bytes.length;      // anything
            };
            feedAndCheck(stream, randomChunks(random, stream.bytes.length, maxChunk), seed, "split #" + split);
        }
    }

    @Test
    void decodesTheStreamSplitExactlyAtFrameBoundaries() {
        long seed = RandomFrames.seed();
        Stream stream = Stream.random(new Random(seed));
        List<Integer> chunks = new ArrayList<>();
        int previous = 0;
        for (int end : stream.ends) {
            chunks.add(end - previous);
            previous = end;
        }
        feedAndCheck(stream, chunks, seed, "frame boundaries");
    }

    @Test
    void acceptsAFrameOfExactlyTheMaximumLength() {
        Publish pub = new Publish("a", new byte[1000]);
        byte[] bytes = FrameCodec.encode(pub);
        int length = bytes.length - FrameCodec.LENGTH_BYTES;
        for (int chunk : new int[] {1, 3, bytes.length}) {
            FrameDecoder decoder = new FrameDecoder(length);
            List<Frame> out = new ArrayList<>();
            for (int i = 0; i < bytes.length; i += chunk) {
                assertThat(decoder.decode(ByteBuffer.wrap(bytes, i, Math.min(chunk, bytes.length - i)), out::add))
                        .as("chunk size " + chunk).isNull();
            }
            assertThat(out).as("chunk size " + chunk).containsExactly(pub);
            assertThat(decoder.bufferedBytes()).isZero();
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Frames, their concatenated encoding, and the offset just past each frame. */
    private record Stream(List<Frame> frames, byte[] bytes, int[] ends, int maxFrameLength) {

        static Stream random(Random random) {
            RandomFrames generator = new RandomFrames(random);
            List<Frame> frames = new ArrayList<>(FRAMES_PER_STREAM);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int[] ends = new int[FRAMES_PER_STREAM];
            int maxFrameLength = 1;
            for (int i = 0; i < FRAMES_PER_STREAM; i++) {
                Frame frame = generator.any();
                byte[] encoded = FrameCodec.encode(frame);
                frames.add(frame);
                out.write(encoded, 0, encoded.length);
                ends[i] = out.size();
                maxFrameLength = Math.max(maxFrameLength, encoded.length - FrameCodec.LENGTH_BYTES);
            }
            return new Stream(frames, out.toByteArray(), ends, maxFrameLength);
        }
    }

    private static List<Integer> randomChunks(Random random, int total, int maxChunk) {
        List<Integer> chunks = new ArrayList<>();
        int left = total;
        while (left > 0) {
            int size = random.nextInt(4) == 0 ? 1 + random.nextInt(4) : 1 + random.nextInt(maxChunk);
            size = Math.min(size, left);
            chunks.add(size);
            left -= size;
        }
        return chunks;
    }

    /**
     * Feeds the stream in the given chunk sizes, each chunk in a fresh buffer of a varying kind, and checks after
     * every chunk against the reference: exactly the frames that end within the bytes fed so far have come out.
     * The decoder's limit is the stream's largest frame, so the largest frame sits exactly at the limit.
     */
    private static void feedAndCheck(Stream stream, List<Integer> chunks, long seed, String how) {
        String context = RandomFrames.reproduce(seed) + ", " + how;
        FrameDecoder decoder = new FrameDecoder(stream.maxFrameLength);
        List<Frame> decoded = new ArrayList<>();
        int fed = 0;
        int completeFrames = 0;
        for (int c = 0; c < chunks.size(); c++) {
            int size = chunks.get(c);
            ByteBuffer chunk = chunkBuffer(stream.bytes, fed, size, c);
            FrameCodec.Decoded.Failure failure = decoder.decode(chunk, decoded::add);
            fed += size;
            String at = context + ", after chunk #" + c + " (" + fed + " of " + stream.bytes.length + " bytes)";

            assertThat(failure).as(at).isNull();
            assertThat(chunk.hasRemaining()).as("chunk consumed " + at).isFalse();
            while (completeFrames < stream.ends.length && stream.ends[completeFrames] <= fed) {
                completeFrames++;
            }
            assertThat(decoded).as("frames out " + at).hasSize(completeFrames);
            // The decoder holds the unfinished frame's bytes; once it has read a whole length prefix it may count
            // only the body.
            int unfinished = fed - (completeFrames == 0 ? 0 : stream.ends[completeFrames - 1]);
            assertThat(decoder.bufferedBytes()).as("buffered " + at)
                    .isBetween(Math.max(unfinished - FrameCodec.LENGTH_BYTES, 0), unfinished)
                    .isLessThanOrEqualTo(stream.maxFrameLength + FrameCodec.LENGTH_BYTES);
        }
        assertThat(fed).isEqualTo(stream.bytes.length);
        assertThat(decoded).as(context).containsExactlyElementsOf(stream.frames);
        assertThat(decoder.bufferedBytes()).as(context).isZero();
    }

    /** Heap at an offset, a slice, or a direct buffer, so both decoding paths see every kind. */
    private static ByteBuffer chunkBuffer(byte[] stream, int from, int size, int index) {
        switch (index % 3) {
            case 0:
                return ByteBuffer.wrap(stream, from, size);
            case 1:
                return ByteBuffer.wrap(stream, from, size).slice();
            default:
                return ByteBuffer.allocateDirect(size).put(stream, from, size).flip();
        }
    }
}
