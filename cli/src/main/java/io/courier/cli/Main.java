package io.courier.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code courier} command. */
@Command(name = "courier", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Courier: a publish/subscribe message broker.%n",
        subcommands = {BrokerCommand.class, PubCommand.class, SubCommand.class, ReqCommand.class,
                ReplyCommand.class, BenchCommand.class, StatsCommand.class, ConnectionsCommand.class,
                ClusterCommand.class, PasswdCommand.class, CommandLine.HelpCommand.class},
        footer = {"%nExamples:",
                "  courier broker                          run a broker on 127.0.0.1:4800",
                "  courier sub 'orders.>'                  print messages on orders.*, orders.*.*, ...",
                "  courier pub orders.eu.created '{\"id\":1}'",
                "  courier pub images.new --file cat.png   publish a file's bytes as one message",
                "  courier reply time.now \"$(date)\"        answer requests on time.now",
                "  courier req time.now ''                 send a request, print the reply",
                "  courier stats                           a broker's counters, from its admin port (127.0.0.1:4880)",
                "  courier connections                     its client connections",
                "  courier cluster --admin 127.0.0.1:4881  a cluster's members, from a broker's admin port",
                "%nEnvironment:",
                "  COURIER_SERVER  broker address(es) for pub, sub, req, reply and bench when --server is not given",
                "                  (HOST:PORT[,HOST:PORT...]; default 127.0.0.1:4800)",
                "%nExit codes: 0 done, 1 failed (the line on standard error says why), 2 usage error."})
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
        cli.setParameterExceptionHandler(new UsageErrors());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // "courier bench pubsub: ...": the full name of the (sub)command that failed.
            commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + CliFailure.describe(e));
            commandLine.getErr().flush();
            return 1;
        });
        return cli.execute(args);
    }
}
