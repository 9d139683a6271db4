package io.courier.protocol;

/**
 * The client asks for the last value of every topic subscription {@code sid} follows that the broker keeps last
 * values of; the broker answers with {@link Resync} frames, in topic order, before anything it reads after this.
 */
public record Last(int sid) implements Frame {

    @Override
    public FrameType type() {
        return FrameType.LAST;
    }
}
