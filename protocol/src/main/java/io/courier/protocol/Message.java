package io.courier.protocol;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/** A message delivered to subscription {@code sid}; {@code replyTo} is empty when the publisher wants no reply. */
public record Message(int sid, String topic, String replyTo, Map<String, String> headers, byte[] payload)
        implements Frame {

    public Message {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(replyTo, "replyTo");
        headers = Headers.copyOf(headers);
        Objects.requireNonNull(payload, "payload");
    }

    @Override
    public FrameType type() {
        return FrameType.MSG;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Message m && sid == m.sid && topic.equals(m.topic) && replyTo.equals(m.replyTo)
                && headers.equals(m.headers) && Arrays.equals(payload, m.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sid, topic, replyTo, headers, Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "Message[sid=" + sid + ", topic=" + topic + ", replyTo=" + replyTo + ", headers=" + headers
                + ", payload=" + payload.length + " bytes]";
    }
}
