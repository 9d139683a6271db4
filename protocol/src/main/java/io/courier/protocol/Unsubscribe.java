package io.courier.protocol;

/**
 * Ends subscription {@code sid}. With {@code maxMessages > 0} the subscription ends after it has delivered that many
 * more messages (counted from when the broker reads this frame); 0 ends it now.
 */
public record Unsubscribe(int sid, long maxMessages) implements Frame {

    public Unsubscribe {
        if (maxMessages < 0 || maxMessages > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("maxMessages must fit in an unsigned 32-bit field");
        }
    }

    @Override
    public FrameType type() {
        return FrameType.UNSUB;
    }
}
