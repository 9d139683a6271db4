package io.courier.protocol;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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

    /** Highest protocol version this codec speaks: 2 adds INFO, 3 adds UDP (docs/protocol.md, section 5.2). */
    public static final int VERSION = 3;
    /** The first version with UDP: UDP_OPEN, UDP_READY, UDP_BOUND, LAST, RESYNC and SUB's flags. */
    public static final int UDP_VERSION = 3;
    /** Lowest protocol version a broker accepts. */
    public static final int MIN_VERSION = 1;
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

    /** Writes a frame's length and type; {@code bodyBytes} follow. */
    public static void putHead(ByteBuffer out, FrameType type, int bodyBytes) {
        out.putInt(1 + bodyBytes);
        out.put((byte) type.code());
    }

    /**
     * Writes the head of a MSG frame, length, type and {@code sid}; a delivery of {@code deliveryBytes} follows (a
     * broker writes the PUB body it received there, unchanged).
     */
    public static void putMessageHead(ByteBuffer out, int sid, int deliveryBytes) {
        putMessageHead(out, FrameType.MSG, sid, deliveryBytes);
    }

    /** As {@link #putMessageHead(ByteBuffer, int, int)} for a frame of MSG's layout: MSG or RESYNC. */
    public static void putMessageHead(ByteBuffer out, FrameType type, int sid, int deliveryBytes) {
        putHead(out, type, 4 + deliveryBytes);
        out.putInt(sid);
    }

    /** Bytes of a MSG frame whose delivery takes {@code deliveryBytes}. */
    public static int messageSize(int deliveryBytes) {
        return HEADER_BYTES + 4 + deliveryBytes;
    }

    /** Writes {@code frame} at the buffer's position; the buffer must have {@link #encodedSize} bytes remaining. */
    public static void encode(Frame frame, ByteBuffer out) {
        int body = bodySize(frame);
        if (frame instanceof Message || frame instanceof Resync) {
            Message m = frame instanceof Resync r ? r.message() : (Message) frame;
            putMessageHead(out, frame.type(), m.sid(), body - 4);
            putDelivery(out, m.topic(), m.replyTo(), m.headers(), m.payload());
            return;
        }
        putHead(out, frame.type(), body);
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
                if (s.udp()) {
                    out.put((byte) Subscribe.FLAG_UDP);
                }
            }
            case UNSUB -> {
                Unsubscribe u = (Unsubscribe) frame;
                out.putInt(u.sid());
                out.putInt((int) u.maxMessages());
            }
            case MSG, RESYNC -> throw new IllegalStateException("a MSG or RESYNC is written above");
            case UDP_OPEN -> { }
            case UDP_READY -> {
                UdpReady r = (UdpReady) frame;
                out.putShort((short) r.port());
                out.putShort((short) r.maxDatagram());
                out.put(r.token());
            }
            case UDP_BOUND -> putString(out, ((UdpBound) frame).endpoint());
            case LAST -> out.putInt(((Last) frame).sid());
            case PING, PONG -> { }
            case ERR -> {
                Err e = (Err) frame;
                out.putShort((short) e.code().code());
                putString(out, truncate(e.reason()));
            }
            case INFO -> {
                List<String> servers = ((Info) frame).servers();
                out.putShort((short) servers.size());
                for (String server : servers) {
                    putString(out, server);
                }
            }
            case ROUTE_HELLO -> {
                RouteHello h = (RouteHello) frame;
                putString(out, h.nodeId());
                out.putLong(h.incarnation());
            }
            case ROUTE_PUB -> {
                RoutePublish r = (RoutePublish) frame;
                Publish p = r.publish();
                out.put(routeGroupsField(r.groups()));
                putDelivery(out, p.topic(), p.replyTo(), p.headers(), p.payload());
            }
            case ROUTE_INTEREST -> {
                RouteInterest r = (RouteInterest) frame;
                out.putLong(r.incarnation());
                out.putLong(r.fromSeq());
                out.put((byte) ((r.reset() ? RouteInterest.FLAG_RESET : 0) | (r.ack() ? RouteInterest.FLAG_ACK : 0)));
                out.putInt(r.changes().size());
                for (RouteInterest.Change c : r.changes()) {
                    putString(out, c.pattern());
                    putString(out, c.queueGroup());
                    out.put((byte) (c.present() ? 1 : 0));
                }
            }
        }
    }

    /** Bytes one change takes in a ROUTE_INTEREST. */
    public static int interestChangeSize(String pattern, String queueGroup) {
        return stringSize(pattern) + stringSize(queueGroup) + 1;
    }

    /** Bytes of a ROUTE_INTEREST frame whose changes take {@code changeBytes}. */
    public static int interestSize(int changeBytes) {
        return HEADER_BYTES + 8 + 8 + 1 + 4 + changeBytes;
    }

    /** The queue groups of a ROUTE_PUB in wire form: {@code count:u16 str*}. */
    public static byte[] routeGroupsField(List<String> groups) {
        if (groups.isEmpty()) {
            return Delivery.EMPTY_FIELD;
        }
        if (groups.size() > 0xFFFF) {
            throw new IllegalArgumentException("too many queue groups: " + groups.size());
        }
        int size = 2;
        for (String g : groups) {
            size += stringSize(g);
        }
        ByteBuffer field = ByteBuffer.allocate(size);
        field.putShort((short) groups.size());
        for (String g : groups) {
            putString(field, g);
        }
        return field.array();
    }

    /** Writes the head of a ROUTE_PUB (length, type, the groups field); a delivery of {@code deliveryBytes} follows. */
    public static void putRouteHead(ByteBuffer out, byte[] groupsField, int deliveryBytes) {
        putHead(out, FrameType.ROUTE_PUB, groupsField.length + deliveryBytes);
        out.put(groupsField);
    }

    /** Bytes of a ROUTE_PUB frame with this groups field and a delivery of {@code deliveryBytes}. */
    public static int routeSize(byte[] groupsField, int deliveryBytes) {
        return HEADER_BYTES + groupsField.length + deliveryBytes;
    }

    /**
     * Reads the groups of a ROUTE_PUB body {@code data[from, to)} into {@code groups}; returns where its delivery
     * starts, or -1 when the groups do not fit the body. The one parser of that field.
     */
    public static int readRouteGroups(byte[] data, int from, int to, List<String> groups) {
        if (to - from < 2) {
            return -1;
        }
        int count = ((data[from] & 0xFF) << 8) | (data[from + 1] & 0xFF);
        int at = from + 2;
        for (int i = 0; i < count; i++) {
            if (to - at < 2) {
                return -1;
            }
            int len = ((data[at] & 0xFF) << 8) | (data[at + 1] & 0xFF);
            if (len > to - at - 2) {
                return -1;
            }
            groups.add(new String(data, at + 2, len, StandardCharsets.UTF_8));
            at += 2 + len;
        }
        return at;
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
                yield 4 + stringSize(s.pattern()) + stringSize(s.queueGroup()) + (s.udp() ? 1 : 0);
            }
            case UNSUB -> 4 + 4;
            case MSG, RESYNC -> {
                Message m = frame instanceof Resync r ? r.message() : (Message) frame;
                yield 4 + deliverySize(m.topic(), m.replyTo(), m.headers(), m.payload().length);
            }
            case UDP_OPEN -> 0;
            case UDP_READY -> {
                UdpReady r = (UdpReady) frame;
                if (r.port() < 0 || r.port() > 0xFFFF || r.maxDatagram() < 0 || r.maxDatagram() > 0xFFFF) {
                    throw new IllegalArgumentException("UDP_READY port and max datagram are u16: " + r);
                }
                yield 2 + 2 + Datagram.TOKEN_BYTES;
            }
            case UDP_BOUND -> stringSize(((UdpBound) frame).endpoint());
            case LAST -> 4;
            case PING, PONG -> 0;
            case ERR -> 2 + stringSize(truncate(((Err) frame).reason()));
            case INFO -> {
                List<String> servers = ((Info) frame).servers();
                if (servers.size() > 0xFFFF) {
                    throw new IllegalArgumentException("too many server addresses: " + servers.size());
                }
                int size = 2;
                for (String server : servers) {
                    size += stringSize(server);
                }
                yield size;
            }
            case ROUTE_HELLO -> stringSize(((RouteHello) frame).nodeId()) + 8;
            case ROUTE_PUB -> {
                RoutePublish r = (RoutePublish) frame;
                Publish p = r.publish();
                yield routeGroupsField(r.groups()).length
                        + deliverySize(p.topic(), p.replyTo(), p.headers(), p.payload().length);
            }
            case ROUTE_INTEREST -> {
                int size = 0;
                for (RouteInterest.Change c : ((RouteInterest) frame).changes()) {
                    size += interestChangeSize(c.pattern(), c.queueGroup());
                }
                yield interestSize(size) - HEADER_BYTES;
            }
        };
    }

    private static void putDelivery(ByteBuffer out, String topic, String replyTo, Map<String, String> headers,
                                    byte[] payload) {
        Delivery.write(out, Delivery.stringField(topic), replyTo.isEmpty() ? Delivery.EMPTY_FIELD
                : Delivery.stringField(replyTo), Delivery.headerBlock(headers), payload);
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
     * Decodes exactly one whole frame, length prefix included, as {@link #encode(Frame)} made it (a frame carried
     * inside another message). Never throws.
     */
    public static Decoded decode(byte[] encoded) {
        if (encoded.length < LENGTH_BYTES) {
            return new Decoded.Failure(ErrorCode.MALFORMED_FRAME, "a frame of " + encoded.length
                    + " bytes has no room for its length");
        }
        int length = ByteBuffer.wrap(encoded).getInt();
        if (length != encoded.length - LENGTH_BYTES) {
            return new Decoded.Failure(ErrorCode.MALFORMED_FRAME, "frame length " + Integer.toUnsignedString(length)
                    + " does not match the " + (encoded.length - LENGTH_BYTES) + " bytes after it");
        }
        return decodeFrame(ByteBuffer.wrap(encoded, LENGTH_BYTES, length));
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
        } catch (Refused e) {
            frame.position(frame.limit());
            return new Decoded.Failure(ErrorCode.MALFORMED_FRAME, e.getMessage());
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
                Delivery d = delivery(type, in);
                yield new Publish(d.topic(), d.replyTo(), d.headers(), d.payload());
            }
            case SUB -> {
                int sid = in.getInt();
                String pattern = getString(in);
                String group = getString(in);
                // Version 3's optional flags byte; a SUB without it is a TCP subscription, as before.
                int flags = in.hasRemaining() ? in.get() & 0xFF : 0;
                if ((flags & ~Subscribe.FLAG_UDP) != 0) {
                    throw new MalformedField("unknown SUB flags 0x" + Integer.toHexString(flags));
                }
                yield new Subscribe(sid, pattern, group, (flags & Subscribe.FLAG_UDP) != 0);
            }
            case UNSUB -> new Unsubscribe(in.getInt(), in.getInt() & 0xFFFF_FFFFL);
            case MSG, RESYNC -> {
                int sid = in.getInt();
                Delivery d = delivery(type, in);
                Message m = new Message(sid, d.topic(), d.replyTo(), d.headers(), d.payload());
                yield type == FrameType.MSG ? m : new Resync(m);
            }
            case UDP_OPEN -> UdpOpen.INSTANCE;
            case UDP_READY -> {
                int port = in.getShort() & 0xFFFF;
                int maxDatagram = in.getShort() & 0xFFFF;
                byte[] token = new byte[Datagram.TOKEN_BYTES];
                in.get(token);
                yield new UdpReady(port, maxDatagram, token);
            }
            case UDP_BOUND -> new UdpBound(getString(in));
            case LAST -> new Last(in.getInt());
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
            case INFO -> {
                int count = in.getShort() & 0xFFFF;
                List<String> servers = new ArrayList<>(Math.min(count, in.remaining() / 2));
                for (int i = 0; i < count; i++) {
                    servers.add(getString(in));
                }
                yield new Info(servers);
            }
            case ROUTE_HELLO -> new RouteHello(getString(in), in.getLong());
            case ROUTE_PUB -> {
                ByteBuffer body = heapView(in);
                int from = body.arrayOffset() + body.position();
                List<String> groups = new ArrayList<>();
                int deliveryStart = readRouteGroups(body.array(), from, from + body.remaining(), groups);
                if (deliveryStart < 0) {
                    throw new BufferUnderflowException();
                }
                in.position(in.position() + (deliveryStart - from));
                Delivery d = delivery(type, in);
                yield new RoutePublish(groups, new Publish(d.topic(), d.replyTo(), d.headers(), d.payload()));
            }
            case ROUTE_INTEREST -> {
                long incarnation = in.getLong();
                long fromSeq = in.getLong();
                int flags = in.get() & 0xFF;
                if ((flags & ~(RouteInterest.FLAG_RESET | RouteInterest.FLAG_ACK)) != 0) {
                    throw new MalformedField("unknown flags 0x" + Integer.toHexString(flags));
                }
                int count = in.getInt();
                // Each change takes at least 5 bytes: a count beyond that is a lie, not a reason to allocate.
                if (count < 0 || count > in.remaining() / 5) {
                    throw new MalformedField("change count " + Integer.toUnsignedString(count)
                            + " does not fit the frame");
                }
                List<RouteInterest.Change> changes = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    String pattern = getString(in);
                    String group = getString(in);
                    int present = in.get() & 0xFF;
                    if (present > 1) {
                        throw new MalformedField("change " + i + ": present must be 0 or 1, got " + present);
                    }
                    changes.add(new RouteInterest.Change(pattern, group, present == 1));
                }
                yield new RouteInterest(incarnation, fromSeq, (flags & RouteInterest.FLAG_RESET) != 0,
                        (flags & RouteInterest.FLAG_ACK) != 0, changes);
            }
        };
    }

    /**
     * {@code in}'s remaining bytes in a heap buffer with an array: {@code in} itself when it has one (no copy), else a
     * copy positioned at 0. Does not move {@code in}.
     */
    private static ByteBuffer heapView(ByteBuffer in) {
        if (in.hasArray()) {
            return in;
        }
        ByteBuffer copy = ByteBuffer.allocate(in.remaining());
        copy.put(in.duplicate()).flip();
        return copy;
    }

    /** Reads the delivery that fills the rest of {@code in} (the one parser, {@link Delivery}); consumes it. */
    private static Delivery delivery(FrameType type, ByteBuffer in) {
        ByteBuffer body = heapView(in);
        int from = body.arrayOffset() + body.position();
        Delivery d = new Delivery();
        Delivery.Layout layout = d.read(body.array(), from, from + body.remaining());
        in.position(in.limit());
        if (layout != Delivery.Layout.OK) {
            throw new Refused(type + " frame" + d.reason(layout));
        }
        return d;
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

    /** A frame refused with a reason already worded in full. */
    private static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** A field whose value the layout forbids; turned into a {@link Decoded.Failure} at the frame boundary. */
    private static final class MalformedField extends RuntimeException {
        MalformedField(String message) {
            super(message, null, false, false);
        }
    }
}
