package io.courier.client;

import io.courier.protocol.Frame;
import io.courier.protocol.Delivery;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits what a link reads into frames and decodes them. A MSG is decoded straight into a client {@link Message}
 * (its topic string reused while consecutive messages share the topic), with {@link Delivery}, the protocol's one
 * parser of its layout; every other frame, and any MSG that is not exactly well formed, goes through
 * {@link FrameCodec#decodeFrame}, the reference, so errors read the same. The read buffer holds whole frames plus at
 * most one partial frame, kept at its start for the next read; it grows for a frame larger than itself and shrinks
 * back afterwards. One per connection, used by its links one after another ({@link #reset}), on the reader thread
 * only.
 */
final class InboundDecoder {

    /** Where decoded frames go. */
    interface Sink {
        /** A MSG for subscription {@code sid}. */
        void message(int sid, Message message);

        /** Any other frame (or a MSG with headers, as the codec decoded it). */
        void frame(Frame frame);

        /** The frames of one read were all handed over. */
        default void endOfRead() {
        }
    }

    private static final byte MSG = (byte) FrameType.MSG.code();

    private final Delivery delivery = new Delivery();
    private final int maxFrameBytes;
    private final int capacity;
    private ByteBuffer buffer;
    private byte[] lastTopicBytes = new byte[0];
    private String lastTopic = "";
    private FrameCodec.Decoded.Failure failure;

    /**
     * @param capacity bytes of the read buffer (a larger frame grows it for a while)
     * @param maxFrameBytes the largest accepted value of a frame's length field
     */
    InboundDecoder(int capacity, int maxFrameBytes) {
        this.capacity = capacity;
        this.maxFrameBytes = maxFrameBytes;
        this.buffer = ByteBuffer.allocate(capacity);
    }

    /** Starts over for a new link: nothing buffered, no failure, a grown buffer back to its normal size. */
    void reset() {
        failure = null;
        if (buffer.capacity() > capacity) {
            buffer = ByteBuffer.allocate(capacity);
        } else {
            buffer.clear();
        }
    }

    /** The buffer to read into: its position is where new bytes go. */
    ByteBuffer buffer() {
        return buffer;
    }

    /**
     * Hands every complete frame in the buffer to {@code sink}, in order, and keeps a trailing partial frame.
     *
     * @return {@code null}, or the failure that stopped decoding (the stream cannot be resynchronised after it)
     */
    FrameCodec.Decoded.Failure decode(Sink sink) {
        if (failure != null) {
            return failure;
        }
        ByteBuffer b = buffer.flip();
        byte[] bytes = b.array();
        int limit = b.limit();
        int p = 0;
        while (limit - p >= FrameCodec.LENGTH_BYTES) {
            int length = b.getInt(p);
            if (!checkLength(length)) {
                return failure;
            }
            int start = p + FrameCodec.LENGTH_BYTES;
            if (limit - start < length) {
                break;
            }
            int end = start + length;
            if (bytes[start] != MSG || !decodeMessage(bytes, start + 1, end, sink)) {
                b.limit(end).position(start);
                FrameCodec.Decoded decoded = FrameCodec.decodeFrame(b);
                b.limit(limit);
                if (decoded instanceof FrameCodec.Decoded.Success success) {
                    sink.frame(success.frame());
                } else {
                    failure = (FrameCodec.Decoded.Failure) decoded;
                    return failure;
                }
            }
            p = end;
        }
        b.position(p);
        b.compact();
        fitPartialFrame();
        return null;
    }

    /**
     * A MSG body from {@code p} (after the type byte) to {@code end}, read by the protocol's one parser of the
     * delivery layout; false, having sent nothing, when it is malformed (the codec then names the error).
     */
    private boolean decodeMessage(byte[] bytes, int p, int end, Sink sink) {
        if (end - p < 4 || delivery.read(bytes, p + 4, end) != Delivery.Layout.OK || delivery.topicLength() == 0) {
            return false;
        }
        int sid = int32(bytes, p);
        String topic = topic(bytes, delivery.topicOffset(), delivery.topicLength());
        sink.message(sid, new Message(topic, delivery.replyTo(), delivery.headers(), delivery.payload()));
        return true;
    }

    private String topic(byte[] bytes, int p, int length) {
        if (length == lastTopicBytes.length && Arrays.equals(lastTopicBytes, 0, length, bytes, p, p + length)) {
            return lastTopic;
        }
        lastTopicBytes = Arrays.copyOfRange(bytes, p, p + length);
        lastTopic = new String(lastTopicBytes, StandardCharsets.UTF_8);
        return lastTopic;
    }

    /** After compacting: makes room for the whole partial frame, or returns a grown buffer to its normal size. */
    private void fitPartialFrame() {
        int kept = buffer.position();
        int need = kept >= FrameCodec.LENGTH_BYTES ? FrameCodec.LENGTH_BYTES + buffer.getInt(0) : kept;
        int want = Math.max(capacity, need);
        if (want > buffer.capacity() || (buffer.capacity() > capacity && want == capacity)) {
            ByteBuffer resized = ByteBuffer.allocate(want);
            resized.put(buffer.flip());
            buffer = resized;
        }
    }

    private boolean checkLength(int length) {
        failure = FrameCodec.checkFrameLength(length, maxFrameBytes);
        return failure == null;
    }

    private static int int32(byte[] b, int p) {
        return (b[p] & 0xFF) << 24 | (b[p + 1] & 0xFF) << 16 | (b[p + 2] & 0xFF) << 8 | (b[p + 3] & 0xFF);
    }

}
