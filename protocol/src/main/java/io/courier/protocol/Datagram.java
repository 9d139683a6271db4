package io.courier.protocol;

import java.nio.ByteBuffer;

/**
 * The one encoder and the one parser of UDP datagrams (docs/protocol.md, section 15). A datagram is one message, no
 * length prefix (UDP keeps the boundaries); integers are big-endian and unsigned, as on TCP, and the delivery is
 * exactly a PUB's body ({@link Delivery}), so a datagram's publish reads like a TCP PUB's.
 *
 * <pre>
 * datagram = kind:u8 body
 * HELLO 0x01  client to broker   token[16]                      proves the sender's address for the session
 * PUB   0x02  client to broker   token[16] seq:u32 delivery     seq counts the sender's datagrams
 * MSG   0x03  broker to client   sid:u32 seq:u32 delivery       seq counts the subscription's datagrams
 * </pre>
 *
 * {@link #read} never throws: it sorts bytes into a kind and the fields' positions, or {@link Kind#MALFORMED}.
 * One reader per thread, reused.
 */
public final class Datagram {

    /** Bytes of the session token carried by every client datagram. */
    public static final int TOKEN_BYTES = 16;
    /** Largest datagram (header and payload) when nothing else is configured: no IP fragmentation on common links. */
    public static final int DEFAULT_MAX_BYTES = 1400;
    public static final int HELLO_BYTES = 1 + TOKEN_BYTES;
    /** Bytes before a PUB datagram's delivery. */
    public static final int PUB_HEAD_BYTES = 1 + TOKEN_BYTES + 4;
    /** Bytes before a MSG datagram's delivery. */
    public static final int MSG_HEAD_BYTES = 1 + 4 + 4;

    /** What {@link #read} found. */
    public enum Kind {
        HELLO(0x01), PUB(0x02), MSG(0x03), MALFORMED(-1);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    private Kind kind;
    private int tokenOffset;
    private int seq;
    private int sid;
    private int deliveryFrom;
    private int deliveryTo;
    private String problem = "";

    /**
     * Reads the head of the datagram {@code data[offset, offset + length)}. For PUB and MSG the delivery is left to
     * {@link Delivery#read} over {@link #deliveryFrom()} to {@link #deliveryTo()}.
     */
    public Kind read(byte[] data, int offset, int length) {
        kind = Kind.MALFORMED;
        if (length < 1) {
            problem = "empty datagram";
            return kind;
        }
        int code = data[offset] & 0xFF;
        int end = offset + length;
        if (code == Kind.HELLO.code) {
            if (length != HELLO_BYTES) {
                problem = "HELLO of " + length + " bytes, not " + HELLO_BYTES;
                return kind;
            }
            tokenOffset = offset + 1;
            kind = Kind.HELLO;
        } else if (code == Kind.PUB.code) {
            if (length < PUB_HEAD_BYTES) {
                problem = "PUB datagram shorter than its head";
                return kind;
            }
            tokenOffset = offset + 1;
            seq = int32(data, offset + 1 + TOKEN_BYTES);
            deliveryFrom = offset + PUB_HEAD_BYTES;
            deliveryTo = end;
            kind = Kind.PUB;
        } else if (code == Kind.MSG.code) {
            if (length < MSG_HEAD_BYTES) {
                problem = "MSG datagram shorter than its head";
                return kind;
            }
            sid = int32(data, offset + 1);
            seq = int32(data, offset + 5);
            deliveryFrom = offset + MSG_HEAD_BYTES;
            deliveryTo = end;
            kind = Kind.MSG;
        } else {
            problem = "unknown datagram kind 0x" + Integer.toHexString(code);
        }
        return kind;
    }

    /** Why the last {@link #read} said {@link Kind#MALFORMED}. */
    public String problem() {
        return problem;
    }

    /** Where the token of a HELLO or PUB starts ({@link #TOKEN_BYTES} bytes). */
    public int tokenOffset() {
        return tokenOffset;
    }

    /** A PUB's sender sequence number or a MSG's subscription sequence number (unsigned, wraps). */
    public int seq() {
        return seq;
    }

    public int sid() {
        return sid;
    }

    public int deliveryFrom() {
        return deliveryFrom;
    }

    public int deliveryTo() {
        return deliveryTo;
    }

    // ---------------------------------------------------------------- encoding

    /** A HELLO datagram for {@code token}. */
    public static byte[] hello(byte[] token) {
        checkToken(token);
        ByteBuffer out = ByteBuffer.allocate(HELLO_BYTES);
        out.put((byte) Kind.HELLO.code).put(token);
        return out.array();
    }

    /** Writes a PUB datagram's head; the delivery ({@link Delivery#write}) follows. */
    public static void putPublishHead(ByteBuffer out, byte[] token, int seq) {
        checkToken(token);
        out.put((byte) Kind.PUB.code).put(token).putInt(seq);
    }

    /** Writes a MSG datagram's head; the delivery follows (a broker writes the PUB body it received, unchanged). */
    public static void putMessageHead(ByteBuffer out, int sid, int seq) {
        out.put((byte) Kind.MSG.code).putInt(sid).putInt(seq);
    }

    /** Whether the {@code TOKEN_BYTES} at {@code data[offset]} are {@code token}, in time independent of where they differ. */
    public static boolean tokenEquals(byte[] data, int offset, byte[] token) {
        int diff = 0;
        for (int i = 0; i < TOKEN_BYTES; i++) {
            diff |= data[offset + i] ^ token[i];
        }
        return diff == 0;
    }

    /** The first eight bytes of the token at {@code data[offset]}, a key to find its session by. */
    public static long tokenKey(byte[] data, int offset) {
        long key = 0;
        for (int i = 0; i < 8; i++) {
            key = key << 8 | (data[offset + i] & 0xFF);
        }
        return key;
    }

    private static void checkToken(byte[] token) {
        if (token.length != TOKEN_BYTES) {
            throw new IllegalArgumentException("a UDP token has " + TOKEN_BYTES + " bytes, got " + token.length);
        }
    }

    private static int int32(byte[] b, int p) {
        return (b[p] & 0xFF) << 24 | (b[p + 1] & 0xFF) << 16 | (b[p + 2] & 0xFF) << 8 | (b[p + 3] & 0xFF);
    }
}
