package io.courier.cli;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import picocli.CommandLine;

import java.time.Duration;

/** Parses durations the way the configuration files write them: {@code 500ms}, {@code 2s}, {@code 1m}. */
final class Durations implements CommandLine.ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        try {
            Duration d = ConfigFactory.empty().withValue("d", ConfigValueFactory.fromAnyRef(value)).getDuration("d");
            if (d.isNegative() || d.isZero()) {
                throw new CommandLine.TypeConversionException("'" + value + "' must be a positive duration");
            }
            return d;
        } catch (ConfigException e) {
            throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not a duration (use for example 500ms, 2s, 1m)");
        }
    }
}
