package io.courier.cli;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * A {@code pub} MESSAGE with placeholders: {@code {{Count}}} becomes the 1-based number of the message,
 * {@code {{Time}}} the time it is published ({@link Timestamps#iso}). Any other text, other {@code {{...}}}
 * included, is sent as it is. A message without placeholders is encoded once.
 */
final class Template {

    static final String COUNT = "{{Count}}";
    static final String TIME = "{{Time}}";

    private final String text;
    /** The payload when there is nothing to replace, else {@code null}. */
    private final byte[] fixed;

    private Template(String text, byte[] fixed) {
        this.text = text;
        this.fixed = fixed;
    }

    static Template of(String text) {
        boolean dynamic = text.contains(COUNT) || text.contains(TIME);
        return new Template(text, dynamic ? null : text.getBytes(StandardCharsets.UTF_8));
    }

    /** The payload of message number {@code n} (from 1), published at {@code now}. */
    byte[] render(long n, Instant now) {
        if (fixed != null) {
            return fixed;
        }
        String s = text.replace(COUNT, Long.toString(n));
        if (s.contains(TIME)) {
            s = s.replace(TIME, Timestamps.iso(now));
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
