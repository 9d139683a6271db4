package io.courier.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * An idle NATS connection (the text protocol of nats-server): wait for the server's INFO, send CONNECT and PING,
 * take the PONG as the end of the handshake, then answer every server PING with PONG. The server's ping interval
 * is its own setting (2 minutes by default), so a short hold may see none. The client sends no heartbeats itself.
 */
final class IdleNatsLink extends IdleLink {

    private static final ByteBuffer CONNECT = ascii("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n");
    private static final ByteBuffer PONG = ascii("PONG\r\n");

    private boolean sentConnect;

    IdleNatsLink(int index) {
        super(index);
    }

    @Override
    void onConnected(long nowNanos) {
        // The server speaks first (INFO).
    }

    @Override
    void onBytes(ByteBuffer in, long nowNanos) {
        while (in.hasRemaining()) {
            int end = indexOf(in, (byte) '\n');
            if (end < 0) {
                return;
            }
            int start = in.position();
            int length = end - start;
            if (length > 0 && in.get(end - 1) == '\r') {
                length--;
            }
            onLine(in, start, length);
            in.position(end + 1);
        }
    }

    private void onLine(ByteBuffer in, int start, int length) {
        if (startsWith(in, start, length, "PING")) {
            send(PONG);
            serverPingsAnswered++;
        } else if (startsWith(in, start, length, "PONG")) {
            if (isOpen()) {
                clientPingsAnswered++;
            } else {
                handshakeDone();
            }
        } else if (startsWith(in, start, length, "INFO")) {
            if (!sentConnect) {
                sentConnect = true;
                send(CONNECT);
            }
        } else if (startsWith(in, start, length, "+OK")) {
            // Only sent in verbose mode; harmless.
        } else if (startsWith(in, start, length, "-ERR")) {
            fail(text(in, start, length));
        } else {
            fail("unexpected line from the server: " + text(in, start, Math.min(length, 80)));
        }
    }

    private static int indexOf(ByteBuffer in, byte b) {
        for (int i = in.position(); i < in.limit(); i++) {
            if (in.get(i) == b) {
                return i;
            }
        }
        return -1;
    }

    /** Case-insensitive, as the protocol's operation names are. */
    private static boolean startsWith(ByteBuffer in, int start, int length, String op) {
        if (length < op.length()) {
            return false;
        }
        for (int i = 0; i < op.length(); i++) {
            if (Character.toUpperCase((char) in.get(start + i)) != op.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static String text(ByteBuffer in, int start, int length) {
        byte[] bytes = new byte[length];
        in.get(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII)).asReadOnlyBuffer();
    }
}
