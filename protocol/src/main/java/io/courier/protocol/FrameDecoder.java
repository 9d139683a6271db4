package io.courier.protocol;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * Incremental decoder for a byte stream of frames: accepts bytes in chunks of any size (a frame split across any
 * number of chunks, or many frames in one chunk) and never buffers more than one frame of at most
 * {@code maxFrameBytes}. Not thread-safe: one decoder per connection, used by its reader.
 *
 * <p>After the first failure the stream cannot be resynchronised, so the decoder stays failed.
 */
public final class FrameDecoder {

    private final int maxFrameBytes;
    private final ByteBuffer lengthPrefix = ByteBuffer.allocate(FrameCodec.LENGTH_BYTES);
    private ByteBuffer partial;
    private FrameCodec.Decoded.Failure failure;

    /** @param maxFrameBytes the largest accepted value of a frame's length field (type byte plus body) */
    public FrameDecoder(int maxFrameBytes) {
        if (maxFrameBytes < 1) {
            throw new IllegalArgumentException("maxFrameBytes must be >= 1");
        }
        this.maxFrameBytes = maxFrameBytes;
    }

    /**
     * Decodes every complete frame in {@code input} (consuming it entirely) and hands each to {@code sink} in order.
     *
     * @return {@code null} when all went well, else the failure that stopped decoding (also returned by every later
     *     call)
     */
    public FrameCodec.Decoded.Failure decode(ByteBuffer input, Consumer<Frame> sink) {
        while (failure == null && input.hasRemaining()) {
            if (partial == null) {
                if (lengthPrefix.position() == 0 && input.remaining() >= FrameCodec.LENGTH_BYTES) {
                    int length = input.getInt(input.position());
                    if (!checkLength(length)) {
                        break;
                    }
                    if (input.remaining() - FrameCodec.LENGTH_BYTES >= length) {
                        // Whole frame in the input: decode in place, no copy.
                        int frameEnd = input.position() + FrameCodec.LENGTH_BYTES + length;
                        int savedLimit = input.limit();
                        input.position(input.position() + FrameCodec.LENGTH_BYTES).limit(frameEnd);
                        deliver(FrameCodec.decodeFrame(input), sink);
                        input.limit(savedLimit).position(frameEnd);
                        continue;
                    }
                }
                while (lengthPrefix.hasRemaining() && input.hasRemaining()) {
                    lengthPrefix.put(input.get());
                }
                if (lengthPrefix.hasRemaining()) {
                    break;
                }
                int length = lengthPrefix.getInt(0);
                lengthPrefix.clear();
                if (!checkLength(length)) {
                    break;
                }
                partial = ByteBuffer.allocate(length);
            }
            int n = Math.min(partial.remaining(), input.remaining());
            int savedLimit = input.limit();
            input.limit(input.position() + n);
            partial.put(input);
            input.limit(savedLimit);
            if (!partial.hasRemaining()) {
                ByteBuffer complete = partial.flip();
                partial = null;
                deliver(FrameCodec.decodeFrame(complete), sink);
            }
        }
        if (failure != null) {
            input.position(input.limit());
        }
        return failure;
    }

    /** Bytes of an unfinished frame currently held, for tests and metrics. */
    public int bufferedBytes() {
        return (partial == null ? 0 : partial.position()) + lengthPrefix.position();
    }

    private boolean checkLength(int length) {
        failure = FrameCodec.checkFrameLength(length, maxFrameBytes);
        return failure == null;
    }

    private void deliver(FrameCodec.Decoded decoded, Consumer<Frame> sink) {
        if (decoded instanceof FrameCodec.Decoded.Success s) {
            sink.accept(s.frame());
        } else {
            failure = (FrameCodec.Decoded.Failure) decoded;
        }
    }
}
