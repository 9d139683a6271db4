package io.courier.protocol;

/** The client asks for a UDP binding of its session; the broker answers {@link UdpReady} (version 3 and up). */
public record UdpOpen() implements Frame {

    public static final UdpOpen INSTANCE = new UdpOpen();

    @Override
    public FrameType type() {
        return FrameType.UDP_OPEN;
    }
}
