package io.courier.bench.raw;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The NATS client protocol of nats-server, as text: {@code CONNECT {json}}, {@code SUB subject sid},
 * {@code PUB subject n} followed by the payload, {@code PING}; the server sends {@code INFO} first, then
 * {@code MSG subject sid [reply] n} with the payload, {@code PING}, {@code PONG} and {@code -ERR}. Verbose mode is
 * off, so nothing is acknowledged with {@code +OK}.
 */
public final class NatsWire implements Wire {

    private static final int CR = '\r';
    private static final int LF = '\n';

    @Override
    public String system() {
        return "nats";
    }

    @Override
    public String topic(String dotted) {
        return dotted;
    }

    @Override
    public byte[] hello(String clientName) {
        // The server's INFO comes first, but it reads a CONNECT that is already waiting just as well.
        return ascii("CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"" + clientName + "\"}\r\n");
    }

    @Override
    public byte[] subscribe(String topic, int id) {
        return ascii("SUB " + topic + " " + id + "\r\n");
    }

    @Override
    public byte[] publish(String topic, byte[] payload) {
        byte[] head = ascii("PUB " + topic + " " + payload.length + "\r\n");
        byte[] frame = new byte[head.length + payload.length + 2];
        System.arraycopy(head, 0, frame, 0, head.length);
        System.arraycopy(payload, 0, frame, head.length, payload.length);
        frame[frame.length - 2] = CR;
        frame[frame.length - 1] = LF;
        return frame;
    }

    @Override
    public byte[] ping() {
        return ascii("PING\r\n");
    }

    @Override
    public byte[] pong() {
        return ascii("PONG\r\n");
    }

    @Override
    public Reader reader() {
        return NatsWire::read;
    }

    /** Counts {@code MSG} lines and skips their payloads; answers nothing itself (the events do). */
    private static void read(ByteBuffer in, Events events) throws IOException {
        int messages = 0;
        while (in.hasRemaining()) {
            int start = in.position();
            int eol = indexOf(in, start, LF);
            if (eol < 0) {
                break;
            }
            int lineEnd = eol > start && in.get(eol - 1) == CR ? eol - 1 : eol;
            int op = Character.toUpperCase(in.get(start));
            if (op == 'M') {
                // MSG <subject> <sid> [reply-to] <#bytes>: the size is the last token.
                int sizeStart = lineEnd;
                while (sizeStart > start && in.get(sizeStart - 1) != ' ') {
                    sizeStart--;
                }
                int size = 0;
                for (int i = sizeStart; i < lineEnd; i++) {
                    int digit = in.get(i) - '0';
                    if (digit < 0 || digit > 9) {
                        throw new IOException("unparsable MSG line from the server: " + text(in, start, lineEnd));
                    }
                    size = size * 10 + digit;
                }
                int end = eol + 1 + size + 2;
                if (end > in.limit()) {
                    break;
                }
                in.position(end);
                messages++;
                continue;
            }
            if (op == 'P' && lineEnd - start >= 4 && Character.toUpperCase(in.get(start + 1)) == 'I') {
                events.ping();
            } else if (op == 'P') {
                events.pong();
            } else if (op == '-') {
                throw new IOException("the server sent " + text(in, start, lineEnd));
            } else if (op != 'I' && op != '+') {
                throw new IOException("unexpected line from the server: " + text(in, start, Math.min(lineEnd, start + 80)));
            }
            in.position(eol + 1);
        }
        if (messages > 0) {
            events.messages(messages);
        }
    }

    private static int indexOf(ByteBuffer in, int from, int b) {
        for (int i = from; i < in.limit(); i++) {
            if (in.get(i) == b) {
                return i;
            }
        }
        return -1;
    }

    private static String text(ByteBuffer in, int start, int end) {
        byte[] bytes = new byte[end - start];
        in.get(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
