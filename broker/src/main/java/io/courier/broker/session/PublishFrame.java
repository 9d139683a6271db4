package io.courier.broker.session;

import io.courier.protocol.Delivery;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.Topic;
import org.apache.pekko.util.ByteString;

/**
 * A received PUB frame read in place: where its topic, reply topic and payload lie in the received bytes. The broker
 * forwards a PUB's body unchanged (a MSG is the PUB body behind a 9-byte head), so it never needs the decoded
 * {@link io.courier.protocol.Publish}: building one would copy the payload and decode every string of every
 * message. One instance per session, reused for each PUB (the session is only used by one thread at a time).
 *
 * <p>The fields are found by {@link Delivery}, the protocol's one parser of the delivery layout, with exactly the
 * checks of {@link FrameCodec#decodeFrame}; when they fail the session asks {@code FrameCodec} for the error, so the
 * codec stays the one place that words it.
 */
final class PublishFrame {

    private final Delivery delivery = new Delivery();
    private byte[] data;
    private int bodyOffset;
    private int bodyEnd;

    /**
     * Reads the PUB frame {@code data[offset, offset + length)} (type byte, then body). Returns false when its
     * fields do not fill the body exactly (a malformed frame); the accessors are then meaningless.
     */
    boolean read(byte[] data, int offset, int length) {
        return readDelivery(data, offset + 1, offset + length);
    }

    /** Reads a delivery that fills {@code data[from, to)} (a ROUTE_PUB's, after its groups); as {@link #read}. */
    boolean readDelivery(byte[] data, int from, int to) {
        this.data = data;
        bodyOffset = from;
        bodyEnd = to;
        return delivery.read(data, bodyOffset, bodyEnd) == Delivery.Layout.OK;
    }

    int payloadLength() {
        return delivery.payloadLength();
    }

    int topicOffset() {
        return delivery.topicOffset();
    }

    int topicLength() {
        return delivery.topicLength();
    }

    /** The topic, decoded as {@code FrameCodec} would (invalid UTF-8 becomes U+FFFD). */
    String topic() {
        return delivery.topic();
    }

    boolean hasReplyTo() {
        return delivery.hasReplyTo();
    }

    /** The reply topic, decoded as {@code FrameCodec} would; empty when none. */
    String replyTo() {
        return delivery.replyTo();
    }

    /** Whether the reply topic is certainly valid without decoding it ({@link Topic#isPlainAsciiTopic}). */
    boolean replyToIsPlainValidTopic() {
        return Topic.isPlainAsciiTopic(data, delivery.replyOffset(), delivery.replyLength());
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
}
