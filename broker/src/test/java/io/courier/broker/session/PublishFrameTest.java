package io.courier.broker.session;

import io.courier.protocol.FrameCodec;
import io.courier.protocol.Publish;
import io.courier.protocol.Topic;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link PublishFrame} must read a PUB exactly as {@link FrameCodec} decodes it, and refuse what it refuses. */
class PublishFrameTest {

    private static final String ALPHABET = "ab.*> \u0001\u007f_-$é中\u00a0.x";

    @Test
    void readsWhatTheCodecDecodesAndRefusesWhatItRefuses() {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        PublishFrame view = new PublishFrame();
        for (int i = 0; i < 20_000; i++) {
            byte[] encoded = FrameCodec.encode(randomPublish(random));
            byte[] frame = Arrays.copyOfRange(encoded, FrameCodec.LENGTH_BYTES, encoded.length);
            frame = mangle(frame, random);
            // Somewhere inside a larger array, as frames are inside a received chunk.
            int offset = random.nextInt(8);
            byte[] chunk = new byte[offset + frame.length + random.nextInt(8)];
            System.arraycopy(frame, 0, chunk, offset, frame.length);

            FrameCodec.Decoded decoded = FrameCodec.decodeFrame(ByteBuffer.wrap(frame));
            boolean read = view.read(chunk, offset, frame.length);
            assertThat(read).as("seed %d, frame %s", seed, Arrays.toString(frame))
                    .isEqualTo(decoded instanceof FrameCodec.Decoded.Success);
            if (read) {
                Publish p = (Publish) ((FrameCodec.Decoded.Success) decoded).frame();
                assertThat(view.topic()).isEqualTo(p.topic());
                assertThat(view.replyTo()).isEqualTo(p.replyTo());
                assertThat(view.hasReplyTo()).isEqualTo(p.hasReplyTo());
                assertThat(view.payloadLength()).isEqualTo(p.payload().length);
                assertThat(view.body().toArray()).isEqualTo(Arrays.copyOfRange(frame, 1, frame.length));
                if (view.hasReplyTo() && view.replyToIsPlainValidTopic()) {
                    assertThat(Topic.invalidTopicReason(p.replyTo())).as("seed %d", seed).isNull();
                }
            }
        }
    }

    @Test
    void quickReplyCheckAcceptsExactlyTheValidAsciiTopics() {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        PublishFrame view = new PublishFrame();
        for (int i = 0; i < 20_000; i++) {
            StringBuilder reply = new StringBuilder();
            for (int k = 1 + random.nextInt(12); k > 0; k--) {
                reply.append((char) (random.nextInt(3) == 0 ? ".*>_ ".charAt(random.nextInt(5))
                        : 0x20 + random.nextInt(0x61)));
            }
            byte[] encoded = FrameCodec.encode(new Publish("t", reply.toString(), Map.of(), new byte[0]));
            assertThat(view.read(encoded, FrameCodec.LENGTH_BYTES, encoded.length - FrameCodec.LENGTH_BYTES)).isTrue();
            assertThat(view.replyToIsPlainValidTopic()).as("seed %d, reply '%s'", seed, reply)
                    .isEqualTo(Topic.isValidTopic(reply.toString()));
        }
    }

    private static Publish randomPublish(Random random) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (int h = random.nextInt(3); h > 0; h--) {
            headers.put(text(random), text(random));
        }
        byte[] payload = new byte[random.nextInt(40)];
        random.nextBytes(payload);
        return new Publish(text(random), random.nextBoolean() ? "" : text(random), headers, payload);
    }

    private static String text(Random random) {
        StringBuilder sb = new StringBuilder();
        for (int n = random.nextInt(10); n > 0; n--) {
            sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    /** Leaves most frames intact; otherwise cuts, extends or overwrites bytes so that fields no longer fit. */
    private static byte[] mangle(byte[] frame, Random random) {
        switch (random.nextInt(6)) {
            case 0:
                return Arrays.copyOf(frame, 1 + random.nextInt(frame.length));
            case 1:
                return Arrays.copyOf(frame, frame.length + 1 + random.nextInt(4));
            case 2:
                byte[] copy = frame.clone();
                copy[1 + random.nextInt(copy.length - 1)] = (byte) random.nextInt(256);
                return copy;
            default:
                return frame;
        }
    }
}
