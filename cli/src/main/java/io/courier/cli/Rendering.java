package io.courier.cli;

import io.courier.client.Message;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;

/** How {@code sub} writes one message to standard output: the bytes it writes for it. */
sealed interface Rendering permits Rendering.Raw, Rendering.Text, Rendering.JsonLines {

    byte[] render(Message message, Instant received);

    /** The payload's bytes exactly as they arrived, then {@code \n} unless {@code newline} is false. */
    record Raw(boolean newline) implements Rendering {
        @Override
        public byte[] render(Message message, Instant received) {
            byte[] payload = message.payload();
            if (!newline) {
                return payload;
            }
            byte[] line = new byte[payload.length + 1];
            System.arraycopy(payload, 0, line, 0, payload.length);
            line[payload.length] = '\n';
            return line;
        }
    }

    /**
     * {@code [TIME ]TOPIC PAYLOAD} on one line ({@link Escapes}), then with {@code headers} one indented line for the
     * reply topic ({@code   reply-to: R}) and one per header ({@code   header KEY: VALUE}).
     */
    record Text(boolean headers, boolean timestamp) implements Rendering {
        @Override
        public byte[] render(Message message, Instant received) {
            StringBuilder sb = new StringBuilder(message.payload().length + 64);
            if (timestamp) {
                sb.append(Timestamps.iso(received)).append(' ');
            }
            sb.append(Escapes.text(message.topic())).append(' ').append(Escapes.bytes(message.payload())).append('\n');
            if (headers) {
                if (message.hasReplyTo()) {
                    sb.append("  reply-to: ").append(Escapes.text(message.replyTo())).append('\n');
                }
                for (Map.Entry<String, String> h : message.headers().entrySet()) {
                    sb.append("  header ").append(Escapes.text(h.getKey())).append(": ")
                            .append(Escapes.text(h.getValue())).append('\n');
                }
                if (message.gapBefore() > 0) {
                    sb.append("  gap: ").append(message.gapBefore()).append(" lost before this one\n");
                }
                if (message.resync()) {
                    sb.append("  resync: last value\n");
                }
            }
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * One JSON object per line: {@code received} (ISO-8601 UTC, milliseconds), {@code topic}, {@code reply} (only when
     * the message has a reply topic), {@code headers} (an object, {@code {}} when none), and either {@code payload}
     * (the payload as a string, when it is valid UTF-8) or {@code payload_base64} (standard Base64, when it is not).
     */
    record JsonLines() implements Rendering {
        @Override
        public byte[] render(Message message, Instant received) {
            StringBuilder sb = new StringBuilder(message.payload().length + 128);
            sb.append("{\"received\":");
            Json.string(sb, Timestamps.iso(received)).append(",\"topic\":");
            Json.string(sb, message.topic());
            if (message.hasReplyTo()) {
                Json.string(sb.append(",\"reply\":"), message.replyTo());
            }
            sb.append(",\"headers\":{");
            boolean first = true;
            for (Map.Entry<String, String> h : message.headers().entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                Json.string(sb, h.getKey()).append(':');
                Json.string(sb, h.getValue());
            }
            sb.append('}');
            String text = Escapes.utf8OrNull(message.payload());
            if (text != null) {
                Json.string(sb.append(",\"payload\":"), text);
            } else {
                Json.string(sb.append(",\"payload_base64\":"), Base64.getEncoder().encodeToString(message.payload()));
            }
            return sb.append("}\n").toString().getBytes(StandardCharsets.UTF_8);
        }
    }
}
