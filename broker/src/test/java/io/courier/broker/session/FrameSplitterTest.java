package io.courier.broker.session;

import io.courier.protocol.ErrorCode;
import io.courier.protocol.FrameCodec;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class FrameSplitterTest {

    private static final int MAX_FRAME = 4096;

    @Test
    void cutsAStreamIntoItsFramesWhereverTheReadsEnd() {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        for (int round = 0; round < 200; round++) {
            List<byte[]> sent = new ArrayList<>();
            ByteString stream = ByteString.emptyByteString();
            for (int i = 0, n = 1 + random.nextInt(40); i < n; i++) {
                byte[] frame = new byte[1 + random.nextInt(random.nextBoolean() ? 16 : 600)];
                random.nextBytes(frame);
                sent.add(frame);
                stream = stream.concat(ByteString.fromArrayUnsafe(prefixed(frame)));
            }
            FrameSplitter splitter = new FrameSplitter(MAX_FRAME, unlimited());
            List<byte[]> received = new ArrayList<>();
            int at = 0;
            while (at < stream.size()) {
                // Reads of any size, from one byte (a length prefix cut in pieces) to several frames.
                int read = Math.min(stream.size() - at, random.nextInt(4) == 0 ? 1 + random.nextInt(3)
                        : 1 + random.nextInt(1500));
                ByteString chunk = random.nextBoolean() ? stream.slice(at, at + read).compact()
                        : stream.slice(at, at + read);
                assertThat(splitter.split(chunk, (data, offset, length) -> {
                    received.add(Arrays.copyOfRange(data, offset, offset + length));
                    return true;
                })).as("seed %d", seed).isNull();
                at += read;
            }
            assertThat(received).as("seed %d", seed).containsExactlyElementsOf(sent);
        }
    }

    @Test
    void refusesATooLargeFrameBeforeBufferingIt() {
        FrameSplitter splitter = new FrameSplitter(MAX_FRAME, unlimited());
        byte[] head = ByteBuffer.allocate(4).putInt(MAX_FRAME + 1).array();
        assertThat(splitter.split(ByteString.fromArrayUnsafe(head, 0, 2), (d, o, l) -> true)).isNull();
        FrameCodec.Decoded.Failure failure =
                splitter.split(ByteString.fromArrayUnsafe(head, 2, 2).concat(ByteString.fromString("x")),
                        (d, o, l) -> true);
        assertThat(failure.code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
        assertThat(new FrameSplitter(MAX_FRAME, unlimited()).split(ByteString.fromArrayUnsafe(new byte[4]), (d, o, l) -> true)
                .code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void stopsWhenTheHandlerSaysSo() {
        FrameSplitter splitter = new FrameSplitter(MAX_FRAME, unlimited());
        ByteString two = ByteString.fromArrayUnsafe(prefixed(new byte[] {1}))
                .concat(ByteString.fromArrayUnsafe(prefixed(new byte[] {2})));
        List<Byte> seen = new ArrayList<>();
        assertThat(splitter.split(two.compact(), (data, offset, length) -> {
            seen.add(data[offset]);
            return false;
        })).isNull();
        assertThat(seen).containsExactly((byte) 1);
    }

    private static byte[] prefixed(byte[] frame) {
        return ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).array();
    }

    private static Budget unlimited() {
        return new Budget("test", Long.MAX_VALUE / 2);
    }
}
