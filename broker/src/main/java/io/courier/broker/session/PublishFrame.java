package io.courier.broker.session;

import io.courier.protocol.FrameCodec;
import io.courier.protocol.Topic;
import org.apache.pekko.util.ByteString;

import java.nio.charset.StandardCharsets;

/**
 * A received PUB frame read in place: where its topic, reply topic and payload lie in the received bytes. The broker
 * forwards a PUB's body unchanged (a MSG is the PUB body behind a 9-byte head), so it never needs the decoded
 * {@link io.courier.protocol.Publish}: building one would copy the payload and decode every string of every
 * message. One instance per session, reused for each PUB (the session is only used by one thread at a time).
 *
 * <p>The layout checks are exactly those of {@link FrameCodec#decodeFrame}; when they fail the session asks
 * {@code FrameCodec} for the error, so the codec stays the one place that words it.
 */
final class PublishFrame {

    private byte[] data;
    private int bodyOffset;
    private int bodyEnd;
    private int topicOffset;
    private int topicLength;
    private int replyOffset;
    private int replyLength;
    private int payloadLength;

    /**
     * Reads the PUB frame {@code data[offset, offset + length)} (type byte, then body). Returns false when its
     * fields do not fill the body exactly (a malformed frame); the accessors are then meaningless.
     */
    boolean read(byte[] data, int offset, int length) {
        this.data = data;
        bodyOffset = offset + 1;
        bodyEnd = offset + length;
        int at = bodyOffset;
        topicOffset = at + 2;
        topicLength = stringLength(at);
        if (topicLength < 0) {
            return false;
        }
        at = topicOffset + topicLength;
        replyOffset = at + 2;
        replyLength = stringLength(at);
        if (replyLength < 0) {
            return false;
        }
        at = replyOffset + replyLength;
        if (bodyEnd - at < 2) {
            return false;
        }
        int headers = u16(at);
        at += 2;
        for (int i = 0; i < 2 * headers; i++) {
            int len = stringLength(at);
            if (len < 0) {
                return false;
            }
            at += 2 + len;
        }
        if (bodyEnd - at < 4) {
            return false;
        }
        payloadLength = (u16(at) << 16) | u16(at + 2);
        at += 4;
        return payloadLength >= 0 && payloadLength == bodyEnd - at;
    }

    int payloadLength() {
        return payloadLength;
    }

    int topicOffset() {
        return topicOffset;
    }

    int topicLength() {
        return topicLength;
    }

    /** The topic, decoded as {@code FrameCodec} would (invalid UTF-8 becomes U+FFFD). */
    String topic() {
        return decode(topicOffset, topicLength);
    }

    boolean hasReplyTo() {
        return replyLength > 0;
    }

    /** The reply topic, decoded as {@code FrameCodec} would; empty when none. */
    String replyTo() {
        return decode(replyOffset, replyLength);
    }

    /** Whether the reply topic is certainly valid without decoding it ({@link Topic#isPlainAsciiTopic}). */
    boolean replyToIsPlainValidTopic() {
        return Topic.isPlainAsciiTopic(data, replyOffset, replyLength);
    }

    /**
     * The PUB body (everything after the type byte): the part of every MSG shared by all subscribers. A view of the
     * received bytes, not a copy: the message's own buffer.
     */
    ByteString body() {
        return ByteString.fromArrayUnsafe(data, bodyOffset, bodyEnd - bodyOffset);
    }

    /**
     * The body as the subscribers' queues may keep it: a view of the received bytes when the body is at least half
     * of them, else a copy of its own. A queued view keeps the whole received chunk alive while the outbox charges
     * only the body, so a small message that shared its socket read with big ones (or with messages nobody wanted)
     * could pin a hundred times its size; with the copy, what a queue retains is at most twice what it is charged.
     * The copy is made once per message, shared by all its subscribers.
     */
    ByteString retainableBody() {
        int length = bodyEnd - bodyOffset;
        if (2L * length >= data.length) {
            return body();
        }
        byte[] copy = new byte[length];
        System.arraycopy(data, bodyOffset, copy, 0, length);
        return ByteString.fromArrayUnsafe(copy);
    }

    /** Length of the {@code str} field at {@code at} when its bytes fit in the body, else -1. */
    private int stringLength(int at) {
        if (bodyEnd - at < 2) {
            return -1;
        }
        int len = u16(at);
        return len <= bodyEnd - at - 2 ? len : -1;
    }

    private int u16(int at) {
        return ((data[at] & 0xFF) << 8) | (data[at + 1] & 0xFF);
    }

    private String decode(int offset, int length) {
        return length == 0 ? "" : new String(data, offset, length, StandardCharsets.UTF_8);
    }
}
