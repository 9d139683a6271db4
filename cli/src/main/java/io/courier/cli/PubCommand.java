package io.courier.cli;

import io.courier.client.Connection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;

/** Publishes one message, the same message N times, or one message per line of standard input. */
@Command(name = "pub", mixinStandardHelpOptions = true,
        description = {"Publish MESSAGE to TOPIC; without MESSAGE, publish each line read from standard input.",
                "Returns once the broker has received everything."})
final class PubCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "TOPIC", description = "topic to publish to, e.g. orders.eu.created")
    String topic;

    @Parameters(index = "1", arity = "0..1", paramLabel = "MESSAGE", description = "payload (UTF-8)")
    String message;

    @Option(names = {"-n", "--count"}, paramLabel = "N", defaultValue = "1",
            description = "publish MESSAGE N times (default: ${DEFAULT-VALUE})")
    long count;

    @Option(names = {"-H", "--header"}, paramLabel = "KEY=VALUE", description = "header to attach (repeatable)")
    Map<String, String> headers = Map.of();

    @Option(names = {"--reply-to"}, paramLabel = "TOPIC", description = "reply topic to attach")
    String replyTo = "";

    @Mixin
    ServerOption server;

    @Override
    public Integer call() throws Exception {
        if (count < 1) {
            throw new CliFailure("--count must be at least 1, got " + count);
        }
        long published = 0;
        try (Connection connection = server.connect("courier-cli-pub")) {
            if (message != null) {
                byte[] payload = message.getBytes(StandardCharsets.UTF_8);
                for (long i = 0; i < count; i++) {
                    send(connection, payload);
                }
                published = count;
            } else {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null) {
                    send(connection, line.getBytes(StandardCharsets.UTF_8));
                    published++;
                }
            }
            connection.flush(Duration.ofSeconds(10));
        } catch (IllegalArgumentException e) {
            throw new CliFailure(e.getMessage());
        } catch (TimeoutException e) {
            throw new CliFailure("the broker did not confirm the messages within 10 s");
        } catch (IOException e) {
            throw new CliFailure("cannot read standard input: " + e.getMessage());
        }
        System.err.println("published " + published + (published == 1 ? " message" : " messages") + " to " + topic);
        return 0;
    }

    private void send(Connection connection, byte[] payload) {
        connection.publish(topic, replyTo, headers, payload);
    }
}
