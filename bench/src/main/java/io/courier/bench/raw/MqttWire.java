package io.courier.bench.raw;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * MQTT 3.1.1 packets: CONNECT (clean session, a 10-minute keep-alive), SUBSCRIBE at QoS 0, PUBLISH at QoS 0 (no packet id)
 * and PINGREQ; the broker sends CONNACK, SUBACK, PUBLISH and PINGRESP. Topic levels are separated by '/'.
 */
public final class MqttWire implements Wire {

    private static final int CONNACK = 2;
    private static final int PUBLISH = 3;
    private static final int SUBACK = 9;
    private static final int PINGRESP = 13;
    private static final int KEEP_ALIVE_SECONDS = 600;

    @Override
    public String system() {
        return "mosquitto";
    }

    @Override
    public String topic(String dotted) {
        return dotted.replace('.', '/');
    }

    @Override
    public byte[] hello(String clientName) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        string(body, "MQTT");
        body.write(4);                          // protocol level 4 = 3.1.1
        body.write(0x02);                       // clean session; no will, no credentials
        body.write(KEEP_ALIVE_SECONDS >>> 8);   // longer than any run: subscribers send nothing after SUBSCRIBE
        body.write(KEEP_ALIVE_SECONDS);
        string(body, clientName + "-" + Long.toHexString(System.nanoTime()));
        return packet(0x10, body.toByteArray());
    }

    @Override
    public byte[] subscribe(String topic, int id) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(id >>> 8);
        body.write(id);
        string(body, topic);
        body.write(0);                          // requested QoS 0
        return packet(0x82, body.toByteArray());
    }

    @Override
    public byte[] publish(String topic, byte[] payload) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        string(body, topic);
        body.writeBytes(payload);               // QoS 0: no packet identifier
        return packet(0x30, body.toByteArray());
    }

    @Override
    public byte[] ping() {
        return new byte[] {(byte) 0xC0, 0x00};
    }

    @Override
    public byte[] pong() {
        return new byte[0];                     // the broker never pings an MQTT client
    }

    @Override
    public Reader reader() {
        return MqttWire::read;
    }

    private static void read(ByteBuffer in, Events events) throws IOException {
        int messages = 0;
        while (in.remaining() >= 2) {
            int start = in.position();
            int remaining = 0;
            int lengthBytes = 0;
            int b;
            do {
                if (start + 1 + lengthBytes >= in.limit()) {
                    b = -1;
                    break;
                }
                b = in.get(start + 1 + lengthBytes) & 0xFF;
                remaining |= (b & 0x7F) << (7 * lengthBytes);
                lengthBytes++;
            } while ((b & 0x80) != 0 && lengthBytes < 4);
            if (b < 0 || in.remaining() < 1 + lengthBytes + remaining) {
                break;                          // the rest of the packet is not here yet
            }
            int type = (in.get(start) & 0xF0) >>> 4;
            int body = start + 1 + lengthBytes;
            switch (type) {
                case PUBLISH -> messages++;
                case PINGRESP -> events.pong();
                case CONNACK -> {
                    int code = remaining >= 2 ? in.get(body + 1) & 0xFF : -1;
                    if (code != 0) {
                        throw new IOException("CONNACK refused the connection with return code " + code);
                    }
                }
                case SUBACK -> {
                    if ((in.get(body + remaining - 1) & 0xFF) == 0x80) {
                        throw new IOException("SUBACK refused the subscription");
                    }
                }
                default -> throw new IOException("unexpected MQTT packet type " + type + " (" + remaining + " bytes)");
            }
            in.position(body + remaining);
        }
        if (messages > 0) {
            events.messages(messages);
        }
    }

    /** A packet: the fixed header's first byte, its remaining length (variable-length), then the body. */
    private static byte[] packet(int first, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 5);
        out.write(first);
        int length = body.length;
        do {
            int digit = length % 128;
            length /= 128;
            out.write(length > 0 ? digit | 0x80 : digit);
        } while (length > 0);
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static void string(ByteArrayOutputStream out, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.write(bytes.length >>> 8);
        out.write(bytes.length);
        out.writeBytes(bytes);
    }
}
