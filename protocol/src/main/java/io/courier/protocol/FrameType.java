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
    /** Broker to broker, on a route link only: who is calling (see docs/protocol.md, node-to-node frames). */
    ROUTE_HELLO(0x40),
    /** Broker to broker, on a route link only: a forwarded publish and the queue groups the receiver serves. */
    ROUTE_PUB(0x41);

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
