package io.courier.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.util.List;

/**
 * Every usage error of every subcommand, as one line on standard error: what is wrong, then where to read more
 * ({@code courier pub: invalid --count: '0' must be at least 1; see 'courier pub --help'}), exit code 2. The whole
 * usage text is for {@code --help}.
 */
final class UsageErrors implements CommandLine.IParameterExceptionHandler {

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cli = ex.getCommandLine();
        String name = cli.getCommandSpec().qualifiedName();
        PrintWriter err = cli.getErr();
        err.println(name + ": " + describe(ex) + "; see '" + name + " --help'");
        err.flush();
        return cli.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** A usage error found by a command itself, after parsing (options that exclude each other, ...). */
    static ParameterException of(CommandLine.Model.CommandSpec spec, String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    static String describe(ParameterException ex) {
        String message;
        ArgSpec arg = ex.getArgSpec();
        if (ex.getCause() instanceof CommandLine.TypeConversionException conversion && arg != null) {
            message = "invalid " + label(arg) + ": " + conversion.getMessage();
        } else if (ex instanceof CommandLine.UnmatchedArgumentException unmatched
                && !unmatched.getSuggestions().isEmpty()) {
            List<String> suggestions = unmatched.getSuggestions();
            message = ex.getMessage() + " (did you mean " + String.join(" or ",
                    suggestions.subList(0, Math.min(3, suggestions.size()))) + "?)";
        } else {
            message = String.valueOf(ex.getMessage());
        }
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static String label(ArgSpec arg) {
        if (arg instanceof OptionSpec option) {
            return option.longestName();
        }
        return ((PositionalParamSpec) arg).paramLabel();
    }
}
