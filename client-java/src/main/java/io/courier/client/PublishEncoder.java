package io.courier.client;

import io.courier.protocol.Delivery;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.FrameType;
import io.courier.protocol.Topic;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * PUB frames written straight from publish's arguments, in the layout of {@link FrameCodec}
 * ({@code length:u32 type:u8 topic:str replyTo:str headers payload:bytes}) and byte for byte what
 * {@code FrameCodec.encode(new Publish(...))} writes, without building the frame. The variable parts arrive already
 * in wire form: {@link #topic} validates and encodes a topic once and remembers it (a direct-mapped cache keyed by
 * the string's cached hash), so a stream of publishes to the same few topics neither re-checks nor re-encodes them.
 * Cache entries are immutable and replaced whole: racing threads see the old entry or the new one, never a mix.
 */
final class PublishEncoder {

    /** An empty string field (no reply topic) and an empty header block. */
    static final byte[] EMPTY_FIELD = Delivery.EMPTY_FIELD;
    static final byte[] NO_HEADERS = Delivery.EMPTY_FIELD;
    /** Bytes of a PUB frame besides its string fields, header block and payload: length, type, payload length. */
    private static final int FIXED_BYTES = FrameCodec.HEADER_BYTES + 4;
    private static final int SLOTS = 256;

    private record Entry(String topic, byte[] field) {
    }

    private final Entry[] slots = new Entry[SLOTS];

    /**
     * {@code topic} as a wire string field (u16 length, UTF-8).
     *
     * @throws IllegalArgumentException with the reason when it is not a valid topic
     */
    byte[] topic(String topic) {
        int slot = topic.hashCode() & (SLOTS - 1);
        Entry entry = slots[slot];
        if (entry != null && (entry.topic == topic || entry.topic.equals(topic))) {
            return entry.field;
        }
        String invalid = Topic.invalidTopicReason(topic);
        if (invalid != null) {
            throw new IllegalArgumentException(invalid);
        }
        byte[] field = stringField(topic);
        slots[slot] = new Entry(topic, field);
        return field;
    }

    /** {@code s} as a wire string field, unchecked and not cached: for topics the client made itself. */
    static byte[] stringField(String s) {
        return Delivery.stringField(s);
    }

    /** The header block ({@code count:u16 (key:str value:str)*}) of {@code headers}, taken once so it cannot change. */
    static byte[] headers(Map<String, String> headers) {
        return Delivery.headerBlock(headers);
    }

    /** Bytes the PUB frame takes on the wire. */
    static int size(byte[] topic, byte[] replyTo, byte[] headers, byte[] payload) {
        long size = (long) FIXED_BYTES + topic.length + replyTo.length + headers.length + payload.length;
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("message of " + size + " bytes is too large to send");
        }
        return (int) size;
    }

    /** Writes the frame at {@code out}'s position; {@code out} has {@code size} bytes remaining. */
    static void encode(ByteBuffer out, int size, byte[] topic, byte[] replyTo, byte[] headers, byte[] payload) {
        FrameCodec.putHead(out, FrameType.PUB, size - FrameCodec.HEADER_BYTES);
        Delivery.write(out, topic, replyTo, headers, payload);
    }
}
