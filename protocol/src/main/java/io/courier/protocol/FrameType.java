package io.courier.protocol;

/** The type byte that follows a frame's length. Codes are part of the wire format: never renumber. */
public enum FrameType {
    CONNECT(0x01),
    CONNECTED(0x02),
    PUB(0x03),
    SUB(0x04),
    UNSUB(0x05),
    MSG(0x06),
    PING(0x07),
    PONG(0x08),
    ERR(0x09),
    /** Broker to client, protocol version 2 and up: the servers to reconnect to, when they change. */
    INFO(0x0A),
    /** Client to broker, version 3 and up: asks for a UDP binding of this session (a token to prove it with). */
    UDP_OPEN(0x0B),
    /** Broker to client, version 3 and up: the UDP port, the largest datagram and the session's UDP token. */
    UDP_READY(0x0C),
    /** Broker to client, version 3 and up: the client's UDP endpoint is bound, as the broker saw its address. */
    UDP_BOUND(0x0D),
    /** Client to broker, version 3 and up: send the last values of the topics a subscription follows. */
    LAST(0x0E),
    /** Broker to client, version 3 and up: a last value, laid out as a MSG, in answer to LAST. */
    RESYNC(0x0F),
    /** Broker to broker, on a route link only: who is calling (see docs/protocol.md, node-to-node frames). */
    ROUTE_HELLO(0x40),
    /** Broker to broker, on a route link only: a forwarded publish and the queue groups the receiver serves. */
    ROUTE_PUB(0x41),
    /** Broker to broker, on a route link only: numbered changes of the sender's interest (section 14.3). */
    ROUTE_INTEREST(0x42);

    private static final FrameType[] BY_CODE = new FrameType[256];

    static {
        for (FrameType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The frame type for a type byte, or {@code null} when the byte names no type. */
    public static FrameType of(int code) {
        return code >= 0 && code < 256 ? BY_CODE[code] : null;
    }
}
