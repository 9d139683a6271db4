package io.courier.protocol;

import java.util.List;
import java.util.Objects;

/**
 * Numbered changes of the interest of the broker that sends it (which patterns, with which queue group, it has
 * subscribers for): {@code fromSeq} is the number of the first change, the rest follow one by one. With
 * {@code reset} the receiver first forgets all it had from that broker (the first batch of a full snapshot); with
 * {@code ack} it acknowledges the batch at once. The same bytes travel on the route link when it is up and over the
 * cluster's membership layer when it is not (docs/protocol.md, section 14.3).
 */
public record RouteInterest(long incarnation, long fromSeq, boolean reset, boolean ack, List<Change> changes)
        implements Frame {

    static final int FLAG_RESET = 1;
    static final int FLAG_ACK = 2;
    /** What a sender puts in one batch at most, unless a single change is larger. */
    public static final int TARGET_BYTES = 64 * 1024;
    /**
     * The largest batch frame a receiver must take: a batch holds at most the target, or a single change of up to two
     * full-length strings; this bound covers both together.
     */
    public static final int MAX_FRAME_BYTES = FrameCodec.interestSize(TARGET_BYTES
            + 2 * (2 + FrameCodec.MAX_STRING_BYTES) + 1);

    /** A pattern with its queue group ("" for none) gained its first ({@code present}) or lost its last subscriber. */
    public record Change(String pattern, String queueGroup, boolean present) {
        public Change {
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(queueGroup, "queueGroup");
        }
    }

    public RouteInterest {
        changes = List.copyOf(changes);
    }

    /** The number of the last change in this batch ({@code fromSeq - 1} when it has none). */
    public long lastSeq() {
        return fromSeq + changes.size() - 1;
    }

    @Override
    public FrameType type() {
        return FrameType.ROUTE_INTEREST;
    }
}
