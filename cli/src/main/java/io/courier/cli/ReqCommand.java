package io.courier.cli;

import io.courier.client.Connection;
import io.courier.client.Message;
import io.courier.client.NoRespondersException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Sends one request and prints the reply. */
@Command(name = "req", mixinStandardHelpOptions = true,
        description = {"Send MESSAGE as a request to TOPIC and print the reply's payload: its bytes as they are,",
                "then a newline. Exits 1 with 'no responders' at once when nothing subscribes to TOPIC."})
final class ReqCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "TOPIC", description = "topic to send the request to")
    String topic;

    @Parameters(index = "1", paramLabel = "MESSAGE", description = "request payload (UTF-8; '' for empty)")
    String message;

    @Option(names = {"-t", "--timeout"}, paramLabel = "DURATION", defaultValue = "2s", converter = Durations.class,
            description = "how long to wait for the reply, " + Durations.HELP + " (default: ${DEFAULT-VALUE})")
    Duration timeout;

    @Mixin
    ServerOption server;

    @Override
    public Integer call() throws Exception {
        try (Connection connection = server.connect("courier-cli-req")) {
            Message reply;
            try {
                reply = connection.request(topic, message.getBytes(StandardCharsets.UTF_8), timeout).get();
            } catch (IllegalArgumentException e) {
                throw new CliFailure(e.getMessage());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof NoRespondersException) {
                    throw new CliFailure("no responders for " + topic);
                }
                if (e.getCause() instanceof TimeoutException) {
                    throw new CliFailure("no reply from " + topic + " within " + Durations.format(timeout));
                }
                throw new CliFailure("request failed: " + CliFailure.describe(e.getCause()));
            }
            PrintStream out = System.out;
            out.write(reply.payload(), 0, reply.payload().length);
            out.write('\n');
            out.flush();
        }
        return 0;
    }
}
