package io.courier.protocol;

/**
 * One unit of the Courier wire protocol. Every frame travels as
 * {@code length:u32 type:u8 body}; {@link FrameCodec} owns the byte layout.
 */
public sealed interface Frame
        permits Connect, Connected, Publish, Subscribe, Unsubscribe, Message, Ping, Pong, Err, Info, RouteHello, RoutePublish,
        RouteInterest, UdpOpen, UdpReady, UdpBound, Last, Resync {

    FrameType type();
}
