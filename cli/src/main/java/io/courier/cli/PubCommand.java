package io.courier.cli;

import io.courier.client.Connection;
import io.courier.client.ConnectionEvent;
import io.courier.client.ConnectionListener;
import io.courier.protocol.ErrorCode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Publishes MESSAGE (N times), a file or the whole standard input as one message, or one message per line. */
@Command(name = "pub", mixinStandardHelpOptions = true,
        description = {"Publish to TOPIC one of:",
                "  MESSAGE      the argument as UTF-8, --count times; {{Count}} in it becomes",
                "               the message's number (1, 2, ...), {{Time}} the time it is",
                "               sent (ISO-8601 UTC, milliseconds)",
                "  --file FILE  the file's bytes, exactly, as one message (--count times)",
                "  --stdin      all of standard input, exactly, as one message (--count",
                "               times)",
                "  --lines      one message per line of standard input, its bytes as they",
                "               are; lines end at \\n only, which is not sent, and a \\r",
                "               before it is kept (drop it with tr -d '\\r')",
                "Without MESSAGE, --file or --stdin, pub reads --lines. Give one at most.",
                "Returns once the broker has received everything."},
        footer = {"%nExamples:",
                "  courier pub orders.eu.created '{\"id\":1}' -H trace=42",
                "  courier pub ticks 'tick {{Count}} at {{Time}}' --count 10 --sleep 500ms",
                "  courier pub images.new --file cat.png",
                "  printf 'a\\nb\\n' | courier pub letters          two messages, 'a' and 'b'"})
final class PubCommand implements Callable<Integer> {

    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(10);

    @Parameters(index = "0", paramLabel = "TOPIC", description = "topic to publish to, e.g. orders.eu.created")
    String topic;

    @Parameters(index = "1", arity = "0..1", paramLabel = "MESSAGE",
            description = "payload text (UTF-8), with {{Count}} and {{Time}} replaced")
    String message;

    @Option(names = "--file", paramLabel = "FILE", description = "publish the file's bytes as one message")
    Path file;

    @Option(names = "--stdin", description = "publish all of standard input as one message")
    boolean stdin;

    @Option(names = "--lines", description = "publish each line of standard input (the default without MESSAGE)")
    boolean lines;

    @Option(names = {"-n", "--count"}, paramLabel = "N", defaultValue = "1", converter = Counts.AtLeastOne.class,
            description = "publish the message N times, N >= 1 (default: ${DEFAULT-VALUE}); not with --lines")
    long count;

    @Option(names = "--sleep", paramLabel = "DURATION", converter = Durations.OrZero.class,
            description = "wait this long between two messages; " + Durations.HELP)
    Duration sleep = Duration.ZERO;

    @Option(names = {"-H", "--header"}, paramLabel = "KEY=VALUE",
            converter = Header.Converter.class, description = "header to attach (repeatable)")
    List<Header> headers;

    @Option(names = "--reply-to", paramLabel = "TOPIC", description = "reply topic to attach")
    String replyTo = "";

    @Option(names = "--udp", description = {"publish each message as one datagram: fastest, may be lost, no headers",
            "or reply topic; at most the broker's max datagram (1400 bytes by default)"})
    boolean udp;

    @Mixin
    ServerOption server;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int modes = (message != null ? 1 : 0) + (file != null ? 1 : 0) + (stdin ? 1 : 0) + (lines ? 1 : 0);
        if (modes > 1) {
            throw UsageErrors.of(spec, "MESSAGE, --file, --stdin and --lines exclude each other: give one");
        }
        boolean perLine = modes == 0 || lines;
        if (perLine && spec.commandLine().getParseResult().hasMatchedOption("--count")) {
            throw UsageErrors.of(spec, "--count does not go with --lines (each line is published once)");
        }
        Map<String, String> headerMap = headers == null ? Map.of() : Header.toMap(headers);
        if (udp && (!headerMap.isEmpty() || !replyTo.isEmpty())) {
            throw UsageErrors.of(spec, "--udp publishes carry no headers or reply topic: drop -H / --reply-to");
        }
        Template template = message != null ? Template.of(message) : null;
        byte[] whole = file != null ? readFile(file) : stdin ? readStdin() : null;
        long published = 0;
        // Refusals come back as ERR frames ahead of the flush's PONG: a publish the broker refused is an error here.
        // The listener hears them on the client's dispatch thread, in order with the CLOSED event that closing the
        // connection makes: once that has been heard, every refusal has been too.
        List<String> refusals = new CopyOnWriteArrayList<>();
        CountDownLatch closed = new CountDownLatch(1);
        ConnectionListener listener = new ConnectionListener() {
            @Override
            public void onEvent(ConnectionEvent event) {
                if (event.type() == ConnectionEvent.Type.CLOSED) {
                    closed.countDown();
                }
            }

            @Override
            public void onServerError(ErrorCode code, String reason) {
                if (code == ErrorCode.PERMISSION_DENIED || code == ErrorCode.INVALID_TOPIC) {
                    refusals.add(code + ": " + reason);
                }
            }
        };
        try (Connection connection = server.connect("courier-cli-pub", listener, udp)) {
            if (perLine) {
                if (modes == 0 && System.console() != null) {
                    System.err.println("reading one message per line from standard input (Ctrl-D to end)");
                }
                Lines in = new Lines(System.in);
                for (byte[] line; (line = in.next()) != null; ) {
                    pause(published);
                    send(connection, headerMap, line);
                    published++;
                }
            } else {
                for (long i = 1; i <= count; i++) {
                    pause(published);
                    byte[] payload = template != null ? template.render(i, Instant.now()) : whole;
                    send(connection, headerMap, payload);
                    published++;
                }
            }
            connection.flush(CONFIRM_TIMEOUT);
        } catch (IllegalArgumentException e) {
            throw new CliFailure(e.getMessage());
        } catch (TimeoutException e) {
            throw new CliFailure("the broker did not confirm the messages within " + Durations.format(CONFIRM_TIMEOUT));
        } catch (IOException e) {
            throw new CliFailure("cannot read standard input: " + e.getMessage());
        }
        closed.await(CONFIRM_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (!refusals.isEmpty()) {
            throw new CliFailure("the broker refused " + refusals.size() + " of " + published
                    + (published == 1 ? " message: " : " messages: ") + refusals.get(0));
        }
        System.err.println("published " + published + (published == 1 ? " message" : " messages") + " to " + topic
                + (udp ? " over UDP" : ""));
        return 0;
    }

    private void send(Connection connection, Map<String, String> headerMap, byte[] payload) {
        if (udp) {
            connection.publishUdp(topic, payload);
        } else {
            connection.publish(topic, replyTo, headerMap, payload);
        }
    }

    /** Before every message but the first, waits --sleep. */
    private void pause(long published) throws InterruptedException {
        if (published > 0 && !sleep.isZero()) {
            Thread.sleep(sleep.toMillis(), (int) (sleep.toNanos() % 1_000_000));
        }
    }

    private static byte[] readFile(Path file) {
        try {
            if (Files.isRegularFile(file) && Files.size(file) > Integer.MAX_VALUE - 8) {
                throw new CliFailure("cannot publish " + file + ": " + Files.size(file) + " bytes is more than one"
                        + " message can hold");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CliFailure("cannot read " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new CliFailure("cannot read " + file + ": permission denied");
        } catch (IOException e) {
            throw new CliFailure("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static byte[] readStdin() {
        try {
            return System.in.readAllBytes();
        } catch (IOException e) {
            throw new CliFailure("cannot read standard input: " + e.getMessage());
        }
    }
}
