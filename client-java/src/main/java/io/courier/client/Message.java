package io.courier.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A message received on a subscription or as the reply to a request. {@code replyTo} is empty (never
 * {@code null}) when the publisher wants no reply; {@code headers} is immutable and keeps the wire order. The payload
 * array is the client's own copy and is not copied again: treat it as read-only.
 *
 * <p>{@code gapBefore}: on a UDP subscription, how many of the subscription's datagrams were lost just before this
 * one (0 when none, and always 0 over TCP). {@code resync}: the message is a last value sent in answer to
 * {@link Subscription#resync()}, not a new publish. Neither takes part in {@link #equals}.
 */
public record Message(String topic, String replyTo, Map<String, String> headers, byte[] payload, long gapBefore,
                      boolean resync) {

    /** A message as published: no gap, not a resync. */
    public Message(String topic, String replyTo, Map<String, String> headers, byte[] payload) {
        this(topic, replyTo, headers, payload, 0, false);
    }

    public Message {
        Objects.requireNonNull(topic, "topic");
        replyTo = replyTo == null ? "" : replyTo;
        headers = headers == null || headers.isEmpty()
                ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        Objects.requireNonNull(payload, "payload");
    }

    /** The payload decoded as UTF-8. */
    public String payloadAsString() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    public boolean hasReplyTo() {
        return !replyTo.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Message m && topic.equals(m.topic) && replyTo.equals(m.replyTo)
                && headers.equals(m.headers) && Arrays.equals(payload, m.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, replyTo, headers, Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "Message[topic=" + topic + ", replyTo=" + replyTo + ", headers=" + headers
                + ", payload=" + payload.length + " bytes" + (gapBefore > 0 ? ", gapBefore=" + gapBefore : "")
                + (resync ? ", resync" : "") + "]";
    }
}
