package io.courier.protocol;

/** Either side asks "are you there?"; the peer answers {@link Pong} after everything it read before the PING. */
public record Ping() implements Frame {

    public static final Ping INSTANCE = new Ping();

    @Override
    public FrameType type() {
        return FrameType.PING;
    }
}
