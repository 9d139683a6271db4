package io.courier.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameDecoder;
import io.courier.protocol.Ping;
import io.courier.protocol.Pong;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The client's inbound framing and MSG decoding against the protocol's decoder, the reference. */
class InboundDecoderTest {

    private static final String[] TOPICS = {"orders.eu", "orders.us", "Ünïcödé.日本", "_INBOX.abc.R.1z"};

    @Test
    void decodesRandomFramesInRandomChunksLikeTheReferenceDecoder() {
        Random random = new Random(7);
        for (int run = 0; run < 200; run++) {
            List<Frame> frames = new ArrayList<>();
            ByteArrayOutputStream stream = new ByteArrayOutputStream();
            for (int i = random.nextInt(60); i >= 0; i--) {
                Frame frame = randomFrame(random);
                frames.add(frame);
                stream.writeBytes(FrameCodec.encode(frame));
            }
            byte[] bytes = stream.toByteArray();
            int capacity = 64 + random.nextInt(2048); // often smaller than a frame: the buffer must grow and shrink
            assertThat(decodeInChunks(bytes, capacity, random)).isEqualTo(frames);
        }
    }

    @Test
    void badLengthsAndBadBodiesFailLikeTheReferenceDecoder() {
        byte[][] inputs = {
            {0, 0, 0, 0, 9},                              // length 0
            {(byte) 0x80, 0, 0, 0, 9},                    // length above the maximum
            {0, 0, 0, 1, 0x7F},                           // unknown frame type
            msgWithPayloadLength(1000),                   // payload longer than the frame
            msgWithPayloadLength(1),                      // trailing bytes after the payload
        };
        for (byte[] input : inputs) {
            List<Frame> reference = new ArrayList<>();
            FrameCodec.Decoded.Failure expected = new FrameDecoder(1 << 20).decode(ByteBuffer.wrap(input),
                    reference::add);
            InboundDecoder decoder = new InboundDecoder(256, 1 << 20);
            List<Frame> frames = new ArrayList<>();
            decoder.buffer().put(input);
            assertThat(decoder.decode(collect(frames))).isEqualTo(expected).isNotNull();
            assertThat(frames).isEqualTo(reference);
        }
    }

    /** A MSG with a 4-byte payload whose length field says {@code payloadLength}. */
    @Test
    void aResetDecoderStartsCleanForTheNextLink() {
        // A connection's links share one decoder: what the lost link left (half a frame, a grown buffer, a failure)
        // must not reach the next one.
        InboundDecoder decoder = new InboundDecoder(256, 1 << 20);
        byte[] big = FrameCodec.encode(new Err(ErrorCode.SLOW_CONSUMER, "x".repeat(1000)));
        decoder.buffer().put(big, 0, 200);
        assertThat(decoder.decode(collect(new ArrayList<>()))).isNull();
        assertThat(decoder.buffer().capacity()).as("grown for the partial frame").isGreaterThan(256);
        decoder.reset();
        assertThat(decoder.buffer().capacity()).isEqualTo(256);
        assertThat(decoder.buffer().position()).isZero();
        List<Frame> frames = new ArrayList<>();
        decoder.buffer().put(FrameCodec.encode(Ping.INSTANCE)).put(FrameCodec.encode(Pong.INSTANCE));
        assertThat(decoder.decode(collect(frames))).isNull();
        assertThat(frames).containsExactly(Ping.INSTANCE, Pong.INSTANCE);

        decoder.buffer().put(new byte[] {0, 0, 0, 1, 0x7F});
        assertThat(decoder.decode(collect(frames))).isNotNull();
        decoder.reset();
        frames.clear();
        decoder.buffer().put(FrameCodec.encode(Ping.INSTANCE));
        assertThat(decoder.decode(collect(frames))).as("no failure left over").isNull();
        assertThat(frames).containsExactly(Ping.INSTANCE);
    }

    private static byte[] msgWithPayloadLength(int payloadLength) {
        ByteBuffer frame = ByteBuffer.wrap(FrameCodec.encode(new io.courier.protocol.Message(3, "a.b", "", Map.of(),
                new byte[4])));
        frame.putInt(frame.capacity() - 8, payloadLength);
        return frame.array();
    }

    private static List<Frame> decodeInChunks(byte[] bytes, int capacity, Random random) {
        InboundDecoder decoder = new InboundDecoder(capacity, 1 << 20);
        List<Frame> decoded = new ArrayList<>();
        InboundDecoder.Sink sink = collect(decoded);
        int offset = 0;
        while (offset < bytes.length) {
            ByteBuffer buffer = decoder.buffer();
            int n = Math.min(bytes.length - offset, 1 + random.nextInt(buffer.remaining()));
            buffer.put(bytes, offset, n);
            offset += n;
            assertThat(decoder.decode(sink)).isNull();
        }
        assertThat(decoder.buffer().position()).as("bytes left over").isZero();
        assertThat(decoder.buffer().capacity()).as("grown buffer returned to its size").isEqualTo(capacity);
        return decoded;
    }

    /** Collects everything as protocol frames, so fast-path messages compare with the reference's. */
    private static InboundDecoder.Sink collect(List<Frame> frames) {
        return new InboundDecoder.Sink() {
            @Override
            public void message(int sid, Message m) {
                frames.add(new io.courier.protocol.Message(sid, m.topic(), m.replyTo(), m.headers(), m.payload()));
            }

            @Override
            public void frame(Frame frame) {
                frames.add(frame);
            }
        };
    }

    private static Frame randomFrame(Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> Ping.INSTANCE;
            case 1 -> Pong.INSTANCE;
            case 2 -> new Err(ErrorCode.MESSAGES_DROPPED, "dropped " + random.nextInt(100));
            default -> {
                byte[] payload = new byte[random.nextInt(10) == 0 ? 3000 + random.nextInt(5000) : random.nextInt(200)];
                random.nextBytes(payload);
                String topic = TOPICS[random.nextInt(TOPICS.length)];
                String replyTo = random.nextBoolean() ? "" : TOPICS[random.nextInt(TOPICS.length)];
                Map<String, String> headers = random.nextInt(4) == 0 ? Map.of("k", "v" + random.nextInt(9)) : Map.of();
                yield new io.courier.protocol.Message(random.nextInt(5), topic, replyTo, headers, payload);
            }
        };
    }
}
