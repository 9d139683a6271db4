package io.courier.protocol;

/**
 * Error codes carried by ERR frames, shared by broker and clients. A fatal code means the sender closes the
 * connection right after the ERR frame. Numbers are part of the wire format: never renumber.
 */
public enum ErrorCode {
    UNSUPPORTED_VERSION(1, true, "the broker does not speak the requested protocol version"),
    MALFORMED_FRAME(2, true, "a frame's fields do not match its length or layout"),
    UNKNOWN_FRAME_TYPE(3, true, "the frame type byte names no known frame"),
    FRAME_TOO_LARGE(4, true, "the frame is longer than the broker's max frame size"),
    PAYLOAD_TOO_LARGE(5, true, "the payload is larger than the broker's max payload"),
    NOT_CONNECTED(6, true, "a frame other than CONNECT arrived before CONNECT"),
    CONNECT_TIMEOUT(7, true, "CONNECT did not arrive within the connect timeout"),
    INVALID_TOPIC(8, false, "the topic is not a valid publish topic"),
    INVALID_PATTERN(9, false, "the subscription pattern is not valid"),
    TOO_MANY_SUBSCRIPTIONS(10, false, "the connection reached its maximum number of subscriptions"),
    TOO_MANY_CONNECTIONS(11, true, "the broker reached its maximum number of connections"),
    STALE_CONNECTION(12, true, "the peer did not answer PINGs in time"),
    SLOW_CONSUMER(13, true, "the connection's outbound queue overflowed and the policy is to disconnect"),
    MESSAGES_DROPPED(14, false, "messages to this connection were dropped because its outbound queue was full"),
    SERVER_SHUTDOWN(15, true, "the broker is shutting down"),
    AUTHENTICATION_FAILED(16, true, "the credentials in CONNECT were refused"),
    DUPLICATE_SUBSCRIPTION(17, false, "the subscription id is already in use on this connection"),
    PROTOCOL_VIOLATION(18, true, "the frame is not allowed in this direction or state"),
    INTERNAL_ERROR(19, true, "the broker failed while handling this connection"),
    FRAME_TIMEOUT(20, true, "a frame was started but not finished within the broker's frame timeout"),
    MEMORY_LIMIT(21, true, "the broker's memory budget for unfinished frames is used up; retry later"),
    UDP_UNAVAILABLE(22, false, "UDP is off on this broker, needs protocol version 3, or needs UDP_OPEN first"),
    UDP_REFUSED(23, false, "a UDP publish was refused (its topic, or its payload size): nothing is answered over UDP"),
    PERMISSION_DENIED(24, false, "the user may not publish to that topic or subscribe to that pattern"),
    RATE_LIMITED(25, false, "the connection publishes faster than its limit: the broker reads it more slowly");

    private static final ErrorCode[] BY_CODE;

    static {
        int max = 0;
        for (ErrorCode c : values()) {
            max = Math.max(max, c.code);
        }
        BY_CODE = new ErrorCode[max + 1];
        for (ErrorCode c : values()) {
            BY_CODE[c.code] = c;
        }
    }

    private final int code;
    private final boolean fatal;
    private final String meaning;

    ErrorCode(int code, boolean fatal, String meaning) {
        this.code = code;
        this.fatal = fatal;
        this.meaning = meaning;
    }

    public int code() {
        return code;
    }

    public boolean fatal() {
        return fatal;
    }

    public String meaning() {
        return meaning;
    }

    /** The error code for a wire number, or {@code null} when the number is unknown. */
    public static ErrorCode of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
