package io.courier.protocol;

import java.util.Objects;

/** The client's UDP endpoint is bound to its session: {@code endpoint} is its address as the broker saw it. */
public record UdpBound(String endpoint) implements Frame {

    public UdpBound {
        Objects.requireNonNull(endpoint, "endpoint");
    }

    @Override
    public FrameType type() {
        return FrameType.UDP_BOUND;
    }
}
