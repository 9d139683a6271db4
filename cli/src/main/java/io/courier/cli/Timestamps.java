package io.courier.cli;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Times as the CLI prints them: ISO-8601 in UTC with milliseconds, {@code 2026-12-02T07:40:00.123Z}. */
final class Timestamps {

    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Timestamps() {
    }

    static String iso(Instant instant) {
        return ISO_MILLIS.format(instant);
    }
}
