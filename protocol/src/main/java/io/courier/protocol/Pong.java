package io.courier.protocol;

/** Answer to {@link Ping}. Because frames are handled in order, a PONG also acknowledges every earlier frame. */
public record Pong() implements Frame {

    public static final Pong INSTANCE = new Pong();

    @Override
    public FrameType type() {
        return FrameType.PONG;
    }
}
