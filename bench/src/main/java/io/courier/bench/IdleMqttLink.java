package io.courier.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * An idle MQTT 3.1.1 connection: CONNECT (clean session, a client id unique to the run, keep-alive twice the
 * heartbeat interval), CONNACK accepted, then a PINGREQ every heartbeat interval, each answered by PINGRESP. In MQTT
 * the client drives the heartbeat; the server closes a client silent for 1.5 keep-alive periods.
 */
final class IdleMqttLink extends IdleLink {

    private static final int CONNACK = 2;
    private static final int PINGRESP = 13;
    private static final ByteBuffer PINGREQ = ByteBuffer.wrap(new byte[] {(byte) 0xC0, 0x00}).asReadOnlyBuffer();

    private final String clientId;
    private final int keepAliveSeconds;
    private final long pingIntervalNanos;
    private long nextPingNanos;

    IdleMqttLink(int index, String runTag, Duration heartbeat) {
        super(index);
        this.clientId = "idle-" + runTag + "-" + index;
        this.keepAliveSeconds = (int) Math.min(0xFFFF, Math.max(1, (2 * heartbeat.toMillis() + 999) / 1000));
        this.pingIntervalNanos = heartbeat.toNanos();
    }

    @Override
    void onConnected(long nowNanos) {
        byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
        int remaining = 10 + 2 + id.length;
        ByteBuffer connect = ByteBuffer.allocate(2 + remaining);
        connect.put((byte) 0x10).put((byte) remaining);                 // CONNECT; id is short: length fits 1 byte
        connect.putShort((short) 4).put("MQTT".getBytes(StandardCharsets.US_ASCII));
        connect.put((byte) 4);                                          // protocol level 4 = 3.1.1
        connect.put((byte) 0x02);                                       // clean session, no will, no credentials
        connect.putShort((short) keepAliveSeconds);
        connect.putShort((short) id.length).put(id);
        send(connect.flip());
    }

    @Override
    void onBytes(ByteBuffer in, long nowNanos) {
        while (in.remaining() >= 2) {
            int start = in.position();
            int remaining = 0;
            int lengthBytes = 0;
            int b;
            do {
                if (start + 1 + lengthBytes >= in.limit()) {
                    return;                                             // remaining length not all here yet
                }
                b = in.get(start + 1 + lengthBytes);
                remaining |= (b & 0x7F) << (7 * lengthBytes);
                lengthBytes++;
            } while ((b & 0x80) != 0 && lengthBytes < 4);
            int total = 1 + lengthBytes + remaining;
            if (in.remaining() < total) {
                return;
            }
            onPacket(in, start, (in.get(start) & 0xF0) >>> 4, start + 1 + lengthBytes, remaining, nowNanos);
            in.position(start + total);
        }
    }

    private void onPacket(ByteBuffer in, int start, int type, int body, int length, long nowNanos) {
        if (type == CONNACK && length == 2) {
            int returnCode = in.get(body + 1) & 0xFF;
            if (returnCode != 0) {
                fail("CONNACK refused the connection with return code " + returnCode);
            } else if (!isOpen()) {
                handshakeDone();
                nextPingNanos = nowNanos + pingIntervalNanos;
            }
        } else if (type == PINGRESP) {
            clientPingsAnswered++;
        } else {
            fail("unexpected MQTT packet type " + type + " (first byte 0x"
                    + Integer.toHexString(in.get(start) & 0xFF) + ", " + length + " bytes)");
        }
    }

    @Override
    void onTick(long nowNanos) {
        if (nowNanos - nextPingNanos >= 0) {
            send(PINGREQ);
            clientPingsSent++;
            nextPingNanos = Math.max(nextPingNanos + pingIntervalNanos, nowNanos + pingIntervalNanos / 2);
        }
    }
}
