package io.courier.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code courier} command. */
@Command(name = "courier", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Courier: a publish/subscribe message broker.%n",
        subcommands = {BrokerCommand.class, PubCommand.class, SubCommand.class, ReqCommand.class,
                ReplyCommand.class, BenchCommand.class, CommandLine.HelpCommand.class},
        footer = {"%nExamples:",
                "  courier broker                          run a broker on 127.0.0.1:4800",
                "  courier sub 'orders.>'                  print messages on orders.*, orders.*.*, ...",
                "  courier pub orders.eu.created '{\"id\":1}'",
                "  courier reply time.now \"$(date)\"        answer requests on time.now",
                "  courier req time.now ''                 send a request, print the reply"})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (0 ok, 1 failure, 2 usage error). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            String name = commandLine.getCommandName();
            commandLine.getErr().println("courier " + name + ": " + CliFailure.describe(e));
            commandLine.getErr().flush();
            return 1;
        });
        return cli.execute(args);
    }
}
