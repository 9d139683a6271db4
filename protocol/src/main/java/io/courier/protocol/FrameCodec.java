package io.courier.protocol;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Byte layout of every frame (see docs/protocol.md). All integers are big-endian and unsigned.
 *
 * <pre>
 * frame   = length:u32 type:u8 body        length counts type and body, so it is at least 1
 * str     = len:u16 utf8[len]
 * bytes   = len:u32 raw[len]
 * headers = count:u16 (key:str value:str)[count]
 * </pre>
 *
 * Encoding throws {@link IllegalArgumentException} for values the layout cannot carry (a programming error).
 * Decoding never throws: bad bytes yield a {@link Decoded.Failure}.
 */
public final class FrameCodec {

    /** Protocol version this codec speaks. */
    public static final int VERSION = 1;
    /** Bytes of the length prefix. */
    public static final int LENGTH_BYTES = 4;
    /** Bytes of the length prefix and the type byte. */
    public static final int HEADER_BYTES = LENGTH_BYTES + 1;
    /** Largest string field the layout can carry. */
    public static final int MAX_STRING_BYTES = 0xFFFF;

    private FrameCodec() {
    }

    // ---------------------------------------------------------------- encoding

    /** Encodes {@code frame} into a new array holding exactly the frame, length prefix included. */
    public static byte[] encode(Frame frame) {
        ByteBuffer buffer = ByteBuffer.allocate(encodedSize(frame));
        encode(frame, buffer);
        return buffer.array();
    }

    /** Bytes {@code frame} takes on the wire, length prefix included. */
    public static int encodedSize(Frame frame) {
        return HEADER_BYTES + bodySize(frame);
    }

    /** Writes {@code frame} at the buffer's position; the buffer must have {@link #encodedSize} bytes remaining. */
    public static void encode(Frame frame, ByteBuffer out) {
        int body = bodySize(frame);
        out.putInt(1 + body);
        out.put((byte) frame.type().code());
        switch (frame.type()) {
            case CONNECT -> {
                Connect c = (Connect) frame;
                out.put((byte) c.version());
                out.put((byte) (c.noEcho() ? 1 : 0));
                out.putInt(c.heartbeatMillis());
                putString(out, c.name());
                putString(out, c.clientVersion());
                putString(out, c.user());
                putString(out, c.password());
            }
            case CONNECTED -> {
                Connected c = (Connected) frame;
                out.put((byte) c.version());
                out.putInt(c.maxPayload());
                out.putInt(c.heartbeatMillis());
                putString(out, c.serverId());
                putString(out, c.serverVersion());
                out.putShort((short) c.servers().size());
                for (String s : c.servers()) {
                    putString(out, s);
                }
            }
            case PUB -> {
                Publish p = (Publish) frame;
                putDelivery(out, p.topic(), p.replyTo(), p.headers(), p.payload());
            }
            case SUB -> {
                Subscribe s = (Subscribe) frame;
                out.putInt(s.sid());
                putString(out, s.pattern());
                putString(out, s.queueGroup());
            }
            case UNSUB -> {
                Unsubscribe u = (Unsubscribe) frame;
                out.putInt(u.sid());
                out.putInt((int) u.maxMessages());
            }
            case MSG -> {
                Message m = (Message) frame;
                out.putInt(m.sid());
                putDelivery(out, m.topic(), m.replyTo(), m.headers(), m.payload());
            }
            case PING, PONG -> { }
            case ERR -> {
                Err e = (Err) frame;
                out.putShort((short) e.code().code());
                putString(out, truncate(e.reason()));
            }
        }
    }

    /**
     * Bytes of a PUB body; a MSG body is {@code sid:u32} followed by exactly these bytes, which lets a broker turn
     * a PUB into MSGs without re-encoding the shared part.
     */
    public static int deliverySize(String topic, String replyTo, Map<String, String> headers, int payloadLength) {
        return stringSize(topic) + stringSize(replyTo) + headersSize(headers) + 4 + payloadLength;
    }

    private static int bodySize(Frame frame) {
        return switch (frame.type()) {
            case CONNECT -> {
                Connect c = (Connect) frame;
                checkVersion(c.version());
                yield 1 + 1 + 4 + stringSize(c.name()) + stringSize(c.clientVersion())
                    + stringSize(c.user()) + stringSize(c.password());
            }
            case CONNECTED -> {
                Connected c = (Connected) frame;
                checkVersion(c.version());
                if (c.servers().size() > 0xFFFF) {
                    throw new IllegalArgumentException("too many server addresses: " + c.servers().size());
                }
                int size = 1 + 4 + 4 + stringSize(c.serverId()) + stringSize(c.serverVersion()) + 2;
                for (String s : c.servers()) {
                    size += stringSize(s);
                }
                yield size;
            }
            case PUB -> {
                Publish p = (Publish) frame;
                yield deliverySize(p.topic(), p.replyTo(), p.headers(), p.payload().length);
            }
            case SUB -> {
                Subscribe s = (Subscribe) frame;
                yield 4 + stringSize(s.pattern()) + stringSize(s.queueGroup());
            }
            case UNSUB -> 4 + 4;
            case MSG -> {
                Message m = (Message) frame;
                yield 4 + deliverySize(m.topic(), m.replyTo(), m.headers(), m.payload().length);
            }
            case PING, PONG -> 0;
            case ERR -> 2 + stringSize(truncate(((Err) frame).reason()));
        };
    }

    private static void putDelivery(ByteBuffer out, String topic, String replyTo, Map<String, String> headers,
                                    byte[] payload) {
        putString(out, topic);
        putString(out, replyTo);
        out.putShort((short) headers.size());
        for (Map.Entry<String, String> h : headers.entrySet()) {
            putString(out, h.getKey());
            putString(out, h.getValue());
        }
        out.putInt(payload.length);
        out.put(payload);
    }

    private static void checkVersion(int version) {
        if (version < 0 || version > 0xFF) {
            throw new IllegalArgumentException("protocol version " + version + " does not fit in an unsigned byte");
        }
    }

    private static int headersSize(Map<String, String> headers) {
        if (headers.size() > 0xFFFF) {
            throw new IllegalArgumentException("too many headers: " + headers.size());
        }
        int size = 2;
        for (Map.Entry<String, String> h : headers.entrySet()) {
            size += stringSize(h.getKey()) + stringSize(h.getValue());
        }
        return size;
    }

    private static int stringSize(String s) {
        int n = utf8Length(s);
        if (n > MAX_STRING_BYTES) {
            throw new IllegalArgumentException("string field longer than " + MAX_STRING_BYTES + " bytes");
        }
        return 2 + n;
    }

    private static void putString(ByteBuffer out, String s) {
        if (isAscii(s)) {
            out.putShort((short) s.length());
            for (int i = 0; i < s.length(); i++) {
                out.put((byte) s.charAt(i));
            }
        } else {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            out.putShort((short) bytes.length);
            out.put(bytes);
        }
    }

    /** Reasons are for people; a reason too long for the field is cut rather than failing the error path. */
    private static String truncate(String reason) {
        return utf8Length(reason) <= MAX_STRING_BYTES ? reason : reason.substring(0, MAX_STRING_BYTES / 4);
    }

    static int utf8Length(String s) {
        if (isAscii(s)) {
            return s.length();
        }
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- decoding

    /** Result of decoding one frame. */
    public sealed interface Decoded permits Decoded.Success, Decoded.Failure {
        record Success(Frame frame) implements Decoded { }

        record Failure(ErrorCode code, String reason) implements Decoded { }
    }

    /**
     * Checks a frame's length field against the largest accepted frame. The field is a u32: values of 2^31 and above
     * read as negative ints and are too large as well.
     *
     * @return {@code null} when the length is acceptable, else why not
     */
    public static Decoded.Failure checkFrameLength(int length, int maxFrameBytes) {
        if (length == 0) {
            return new Decoded.Failure(ErrorCode.MALFORMED_FRAME, "frame length 0 is invalid: it must be at least 1");
        }
        if (Integer.compareUnsigned(length, maxFrameBytes) > 0) {
            return new Decoded.Failure(ErrorCode.FRAME_TOO_LARGE, "frame length "
                    + Integer.toUnsignedString(length) + " exceeds the maximum of " + maxFrameBytes + " bytes");
        }
        return null;
    }

    /**
     * Decodes one frame whose type byte and body are exactly the bytes between the buffer's position and limit
     * (the length prefix already consumed). Moves the position to the limit. Never throws.
     */
    public static Decoded decodeFrame(ByteBuffer frame) {
        if (!frame.hasRemaining()) {
            return new Decoded.Failure(ErrorCode.MALFORMED_FRAME, "empty frame: length must be at least 1");
        }
        int typeCode = frame.get() & 0xFF;
        FrameType type = FrameType.of(typeCode);
        if (type == null) {
            frame.position(frame.limit());
            return new Decoded.Failure(ErrorCode.UNKNOWN_FRAME_TYPE, "unknown frame type 0x" + Integer.toHexString(typeCode));
        }
        try {
            Frame decoded = decodeBody(type, frame);
            if (frame.hasRemaining()) {
                int extra = frame.remaining();
                frame.position(frame.limit());
                return new Decoded.Failure(ErrorCode.MALFORMED_FRAME,
                        type + " frame has " + extra + " unexpected trailing bytes");
            }
            return new Decoded.Success(decoded);
        } catch (BufferUnderflowException e) {
            frame.position(frame.limit());
            return new Decoded.Failure(ErrorCode.MALFORMED_FRAME, type + " frame is shorter than its fields");
        } catch (MalformedField e) {
            frame.position(frame.limit());
            return new Decoded.Failure(ErrorCode.MALFORMED_FRAME, type + " frame: " + e.getMessage());
        }
    }

    private static Frame decodeBody(FrameType type, ByteBuffer in) {
        return switch (type) {
            case CONNECT -> {
                int version = in.get() & 0xFF;
                int flags = in.get() & 0xFF;
                int heartbeat = in.getInt();
                if (heartbeat < 0) {
                    throw new MalformedField("heartbeat interval out of range");
                }
                yield new Connect(version, getString(in), getString(in), getString(in), getString(in),
                        heartbeat, (flags & 1) != 0);
            }
            case CONNECTED -> {
                int version = in.get() & 0xFF;
                int maxPayload = in.getInt();
                int heartbeat = in.getInt();
                String serverId = getString(in);
                String serverVersion = getString(in);
                int count = in.getShort() & 0xFFFF;
                List<String> servers = new ArrayList<>(Math.min(count, in.remaining() / 2));
                for (int i = 0; i < count; i++) {
                    servers.add(getString(in));
                }
                yield new Connected(version, serverId, serverVersion, maxPayload, heartbeat, servers);
            }
            case PUB -> {
                String topic = getString(in);
                String replyTo = getString(in);
                Map<String, String> headers = getHeaders(in);
                yield new Publish(topic, replyTo, headers, getBytes(in));
            }
            case SUB -> new Subscribe(in.getInt(), getString(in), getString(in));
            case UNSUB -> new Unsubscribe(in.getInt(), in.getInt() & 0xFFFF_FFFFL);
            case MSG -> {
                int sid = in.getInt();
                String topic = getString(in);
                String replyTo = getString(in);
                Map<String, String> headers = getHeaders(in);
                yield new Message(sid, topic, replyTo, headers, getBytes(in));
            }
            case PING -> Ping.INSTANCE;
            case PONG -> Pong.INSTANCE;
            case ERR -> {
                int code = in.getShort() & 0xFFFF;
                String reason = getString(in);
                ErrorCode errorCode = ErrorCode.of(code);
                if (errorCode == null) {
                    // An error we do not know is still an error: keep its text, treat it as fatal.
                    yield new Err(ErrorCode.INTERNAL_ERROR, "unknown error code " + code + ": " + reason);
                }
                yield new Err(errorCode, reason);
            }
        };
    }

    private static Map<String, String> getHeaders(ByteBuffer in) {
        int count = in.getShort() & 0xFFFF;
        if (count == 0) {
            return Map.of();
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            headers.put(getString(in), getString(in));
        }
        return Collections.unmodifiableMap(headers);
    }

    private static String getString(ByteBuffer in) {
        int len = in.getShort() & 0xFFFF;
        if (len > in.remaining()) {
            throw new BufferUnderflowException();
        }
        if (len == 0) {
            return "";
        }
        String s;
        if (in.hasArray()) {
            s = new String(in.array(), in.arrayOffset() + in.position(), len, StandardCharsets.UTF_8);
            in.position(in.position() + len);
        } else {
            byte[] bytes = new byte[len];
            in.get(bytes);
            s = new String(bytes, StandardCharsets.UTF_8);
        }
        return s;
    }

    private static byte[] getBytes(ByteBuffer in) {
        int len = in.getInt();
        if (len < 0 || len > in.remaining()) {
            throw new MalformedField("payload length " + Integer.toUnsignedString(len)
                    + " exceeds the frame (" + in.remaining() + " bytes left)");
        }
        byte[] bytes = new byte[len];
        in.get(bytes);
        return bytes;
    }

    /** A field whose value the layout forbids; turned into a {@link Decoded.Failure} at the frame boundary. */
    private static final class MalformedField extends RuntimeException {
        MalformedField(String message) {
            super(message, null, false, false);
        }
    }
}
