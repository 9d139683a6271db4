package io.courier.cli;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import picocli.CommandLine;

import java.time.Duration;
import java.util.Locale;

/**
 * Parses durations the way the configuration files write them: a number and a unit, {@code 100ms}, {@code 2s},
 * {@code 1.5s}, {@code 1m} (units ns, us, ms, s, m, h, d). A bare number is refused: the configuration library would
 * read {@code 2} as two milliseconds, which is never what {@code --timeout 2} means.
 */
final class Durations implements CommandLine.ITypeConverter<Duration> {

    /** For the --help of every option that takes a duration. */
    static final String HELP = "a number with a unit: 100ms, 2s, 1.5s, 1m";

    @Override
    public Duration convert(String value) {
        Duration d = parse(value);
        if (d.isZero()) {
            throw new CommandLine.TypeConversionException("'" + value + "' must be longer than zero");
        }
        return d;
    }

    /** As {@link Durations}, and zero is allowed ({@code --sleep 0s}). */
    static final class OrZero implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parse(value);
        }
    }

    static Duration parse(String value) {
        String v = value.trim();
        if (!v.isEmpty() && v.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
            throw new CommandLine.TypeConversionException(
                    "'" + value + "' has no unit: write for example " + v + "s or " + v + "ms");
        }
        Duration d;
        try {
            d = ConfigFactory.empty().withValue("d", ConfigValueFactory.fromAnyRef(v)).getDuration("d");
        } catch (ConfigException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (" + HELP + ")");
        }
        if (d.isNegative()) {
            throw new CommandLine.TypeConversionException("'" + value + "' is negative");
        }
        return d;
    }

    /** A duration for people: {@code 2 s}, {@code 1.5 s}, {@code 100 ms}, {@code 2 min}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + " min";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + " s";
        }
        return String.format(Locale.ROOT, "%.3f", ms / 1000.0).replaceAll("0+$", "") + " s";
    }
}
