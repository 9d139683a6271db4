package io.courier.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one parser and the one encoder of a delivery, the part that PUB and MSG share (and that every path carries
 * unchanged: a broker turns a PUB into MSGs, a route between brokers forwards it):
 *
 * <pre>
 * delivery = topic:str reply_to:str headers payload:bytes
 * </pre>
 *
 * {@link #read} finds where the fields lie in received bytes without decoding or copying them, with exactly the
 * checks {@link FrameCodec} words as errors; the accessors decode what a caller needs. {@link #write} writes a
 * delivery from fields already in wire form. One instance per reader, reused (not thread-safe).
 */
public final class Delivery {

    /** {@link #read}'s verdicts. */
    public enum Layout {
        /** The fields fill the range exactly. */
        OK,
        /** A field runs past the end of the range. */
        SHORT,
        /** The payload length does not fit what is left. */
        BAD_PAYLOAD_LENGTH,
        /** Bytes are left after the payload. */
        TRAILING
    }

    /** An empty string field: no reply topic; also an empty header block (count 0). */
    public static final byte[] EMPTY_FIELD = {0, 0};

    private byte[] data;
    private int topicOffset;
    private int topicLength;
    private int replyOffset;
    private int replyLength;
    private int headersOffset;
    private int headerCount;
    private int payloadOffset;
    private int payloadLength;
    /** For the error of a bad payload length: the length read, and what was left for it. */
    private int badLength;
    private int left;
    private int trailing;

    /** Reads the delivery in {@code data[from, to)}; the accessors are meaningful only after {@link Layout#OK}. */
    public Layout read(byte[] data, int from, int to) {
        this.data = data;
        int at = from;
        topicOffset = at + 2;
        topicLength = stringLength(at, to);
        if (topicLength < 0) {
            return Layout.SHORT;
        }
        at = topicOffset + topicLength;
        replyOffset = at + 2;
        replyLength = stringLength(at, to);
        if (replyLength < 0) {
            return Layout.SHORT;
        }
        at = replyOffset + replyLength;
        if (to - at < 2) {
            return Layout.SHORT;
        }
        headerCount = u16(at);
        headersOffset = at + 2;
        at = headersOffset;
        for (int i = 0; i < 2 * headerCount; i++) {
            int len = stringLength(at, to);
            if (len < 0) {
                return Layout.SHORT;
            }
            at += 2 + len;
        }
        if (to - at < 4) {
            return Layout.SHORT;
        }
        payloadLength = (u16(at) << 16) | u16(at + 2);
        at += 4;
        if (payloadLength < 0 || payloadLength > to - at) {
            badLength = payloadLength;
            left = to - at;
            return Layout.BAD_PAYLOAD_LENGTH;
        }
        payloadOffset = at;
        trailing = to - (at + payloadLength);
        return trailing == 0 ? Layout.OK : Layout.TRAILING;
    }

    /** Why {@link #read} refused the last range, in the codec's words: what follows "PUB frame" or "MSG frame". */
    public String reason(Layout layout) {
        return switch (layout) {
            case OK -> " is well formed";
            case SHORT -> " is shorter than its fields";
            case BAD_PAYLOAD_LENGTH -> ": payload length " + Integer.toUnsignedString(badLength)
                    + " exceeds the frame (" + left + " bytes left)";
            case TRAILING -> " has " + trailing + " unexpected trailing bytes";
        };
    }

    public int topicOffset() {
        return topicOffset;
    }

    public int topicLength() {
        return topicLength;
    }

    /** The topic, decoded (invalid UTF-8 becomes U+FFFD). */
    public String topic() {
        return decode(topicOffset, topicLength);
    }

    public int replyOffset() {
        return replyOffset;
    }

    public int replyLength() {
        return replyLength;
    }

    public boolean hasReplyTo() {
        return replyLength > 0;
    }

    /** The reply topic, decoded; empty when none. */
    public String replyTo() {
        return decode(replyOffset, replyLength);
    }

    public int headerCount() {
        return headerCount;
    }

    /** The headers, decoded, in the order sent (a later duplicate key wins, as in a map). */
    public Map<String, String> headers() {
        if (headerCount == 0) {
            return Map.of();
        }
        Map<String, String> headers = new LinkedHashMap<>();
        int at = headersOffset;
        for (int i = 0; i < headerCount; i++) {
            int keyLength = u16(at);
            String key = decode(at + 2, keyLength);
            at += 2 + keyLength;
            int valueLength = u16(at);
            headers.put(key, decode(at + 2, valueLength));
            at += 2 + valueLength;
        }
        return Collections.unmodifiableMap(headers);
    }

    public int payloadOffset() {
        return payloadOffset;
    }

    public int payloadLength() {
        return payloadLength;
    }

    /** A copy of the payload. */
    public byte[] payload() {
        byte[] copy = new byte[payloadLength];
        System.arraycopy(data, payloadOffset, copy, 0, payloadLength);
        return copy;
    }

    /** Bytes a delivery of these fields (in wire form) takes. */
    public static long size(byte[] topic, byte[] replyTo, byte[] headers, int payloadLength) {
        return (long) topic.length + replyTo.length + headers.length + 4 + payloadLength;
    }

    /**
     * Writes a delivery whose topic and reply topic are {@code str} fields and whose header block is
     * {@code count:u16 (key:str value:str)*}, all in wire form already.
     */
    public static void write(ByteBuffer out, byte[] topic, byte[] replyTo, byte[] headers, byte[] payload) {
        out.put(topic);
        out.put(replyTo);
        out.put(headers);
        out.putInt(payload.length);
        out.put(payload);
    }

    /** {@code s} as a wire {@code str} field (u16 length, UTF-8). */
    public static byte[] stringField(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > FrameCodec.MAX_STRING_BYTES) {
            throw new IllegalArgumentException("string field longer than " + FrameCodec.MAX_STRING_BYTES + " bytes");
        }
        byte[] field = new byte[2 + utf8.length];
        field[0] = (byte) (utf8.length >>> 8);
        field[1] = (byte) utf8.length;
        System.arraycopy(utf8, 0, field, 2, utf8.length);
        return field;
    }

    /** The header block of {@code headers}, taken once so that it cannot change while being written. */
    public static byte[] headerBlock(Map<String, String> headers) {
        if (headers.isEmpty()) {
            return EMPTY_FIELD;
        }
        if (headers.size() > 0xFFFF) {
            throw new IllegalArgumentException("too many headers: " + headers.size());
        }
        byte[][] fields = new byte[2 * headers.size()][];
        int size = 2;
        int i = 0;
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if (i == fields.length) {
                throw new IllegalArgumentException("headers changed while being written");
            }
            fields[i] = stringField(h.getKey());
            fields[i + 1] = stringField(h.getValue());
            size += fields[i].length + fields[i + 1].length;
            i += 2;
        }
        ByteBuffer block = ByteBuffer.allocate(size);
        block.putShort((short) (i / 2));
        for (int j = 0; j < i; j++) {
            block.put(fields[j]);
        }
        return block.array();
    }

    /** Length of the {@code str} field at {@code at} when its bytes fit before {@code to}, else -1. */
    private int stringLength(int at, int to) {
        if (to - at < 2) {
            return -1;
        }
        int len = u16(at);
        return len <= to - at - 2 ? len : -1;
    }

    private int u16(int at) {
        return ((data[at] & 0xFF) << 8) | (data[at + 1] & 0xFF);
    }

    private String decode(int offset, int length) {
        return length == 0 ? "" : new String(data, offset, length, StandardCharsets.UTF_8);
    }
}
