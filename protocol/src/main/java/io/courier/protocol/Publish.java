package io.courier.protocol;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/** A client publishes {@code payload} to {@code topic}; {@code replyTo} is empty when no reply is wanted. */
public record Publish(String topic, String replyTo, Map<String, String> headers, byte[] payload) implements Frame {

    public Publish {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(replyTo, "replyTo");
        headers = Headers.copyOf(headers);
        Objects.requireNonNull(payload, "payload");
    }

    public Publish(String topic, byte[] payload) {
        this(topic, "", Map.of(), payload);
    }

    public boolean hasReplyTo() {
        return !replyTo.isEmpty();
    }

    @Override
    public FrameType type() {
        return FrameType.PUB;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Publish p && topic.equals(p.topic) && replyTo.equals(p.replyTo)
                && headers.equals(p.headers) && Arrays.equals(payload, p.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, replyTo, headers, Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "Publish[topic=" + topic + ", replyTo=" + replyTo + ", headers=" + headers
                + ", payload=" + payload.length + " bytes]";
    }
}
