package io.courier.cli;

import picocli.CommandLine;

/**
 * The one rule for {@code --count}: where it limits how long a command runs ({@code sub}, {@code reply}) 0 means "no
 * limit" and is the default; where it says how many messages to send ({@code pub}) it must be at least 1. Negative
 * counts are refused everywhere.
 */
final class Counts {

    static final String LIMIT_HELP = "exit after N messages; 0 = no limit, until Ctrl-C (default: ${DEFAULT-VALUE})";

    private Counts() {
    }

    /** {@code sub --count}, {@code reply --count}: 0 or more, 0 for no limit. */
    static final class Limit implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            long n = parse(value);
            if (n < 0) {
                throw new CommandLine.TypeConversionException("'" + value + "' is negative (0 means no limit)");
            }
            return n;
        }
    }

    /** {@code pub --count}: 1 or more. */
    static final class AtLeastOne implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            long n = parse(value);
            if (n < 1) {
                throw new CommandLine.TypeConversionException("'" + value + "' must be at least 1");
            }
            return n;
        }
    }

    private static long parse(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a whole number");
        }
    }
}
