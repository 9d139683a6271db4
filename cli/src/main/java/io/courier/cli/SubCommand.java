package io.courier.cli;

import io.courier.client.Connection;
import io.courier.client.Delivery;
import io.courier.client.ConnectionEvent;
import io.courier.client.Subscription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** Prints messages as they arrive: as text, as their exact bytes, or as JSON. */
@Command(name = "sub", mixinStandardHelpOptions = true,
        description = {"Subscribe to PATTERN and print each message as it arrives.",
                "In PATTERN '*' matches one token, '>' the rest.",
                "",
                "Text output (the default): 'TOPIC PAYLOAD', one line per message. The",
                "  payload is shown as UTF-8, with \\\\ for a backslash, \\n \\r \\t for newline,",
                "  carriage return and tab, and \\xHH for other control characters and for",
                "  bytes that are not valid UTF-8: a message never takes more than its line.",
                "  --headers adds a '  reply-to: TOPIC' line and a '  header KEY: VALUE'",
                "  line per header after it; --timestamp puts the receive time first.",
                "--raw: the payload's bytes exactly as they arrived, then a newline (no",
                "  newline with --no-newline).",
                "--json: one JSON object per line, with received, topic, reply (only when",
                "  the message has a reply topic), headers (an object), and either payload",
                "  (a string, when the payload is valid UTF-8) or payload_base64 (standard",
                "  Base64, when it is not).",
                "Times are ISO-8601 in UTC with milliseconds: 2026-12-02T07:40:00.123Z."},
        footer = {"%nExamples:",
                "  courier sub 'orders.>' --headers",
                "  courier sub images.new --raw --no-newline --count 1 > cat.png",
                "  courier sub 'orders.>' --json | jq -r .payload"})
final class SubCommand implements Callable<Integer> {

    /** The most {@link Subscription#unsubscribeAfter} takes; above it sub counts alone. */
    private static final long MAX_UNSUBSCRIBE_AFTER = 0xFFFF_FFFFL;

    @Parameters(index = "0", paramLabel = "PATTERN", description = "topic pattern, e.g. 'orders.>' (quote it)")
    String pattern;

    @Option(names = {"-q", "--queue"}, paramLabel = "GROUP", description = "join queue group GROUP")
    String queue = "";

    @Option(names = {"-n", "--count"}, paramLabel = "N", defaultValue = "0", converter = Counts.Limit.class,
            description = Counts.LIMIT_HELP)
    long count;

    @Option(names = "--raw", description = "print the payload's exact bytes, then a newline")
    boolean raw;

    @Option(names = "--no-newline", description = "with --raw: nothing after the payload")
    boolean noNewline;

    @Option(names = "--json", description = "print one JSON object per message (see above)")
    boolean json;

    @Option(names = "--headers", description = "text output: also print the reply topic and the headers")
    boolean headers;

    @Option(names = "--udp", description = {"receive as datagrams: subscriptions and heartbeats stay on TCP; lost",
            "messages are not resent (--headers shows each message's gap)"})
    boolean udp;

    @Option(names = "--timestamp", description = "text output: start each message with the time it was received")
    boolean timestamp;

    @Mixin
    ServerOption server;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Rendering rendering = rendering();
        PrintStream out = System.out;
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong seen = new AtomicLong();
        AtomicReference<String> failure = new AtomicReference<>();
        try (Connection connection = server.connect("courier-cli-sub", event -> {
            if (event.type() == ConnectionEvent.Type.CLOSED && failure.compareAndSet(null, event.reason())) {
                done.countDown();
            }
        }, udp)) {
            Subscription subscription;
            try {
                subscription = connection.subscribe(pattern, queue, message -> {
                    Instant received = Instant.now();
                    long n = seen.incrementAndGet();
                    if (count > 0 && n > count) {
                        return;
                    }
                    byte[] bytes = rendering.render(message, received);
                    out.write(bytes, 0, bytes.length);
                    out.flush();
                    if (out.checkError()) {
                        failure.compareAndSet(null, "cannot write to standard output");
                        done.countDown();
                    } else if (count > 0 && n == count) {
                        done.countDown();
                    }
                }, udp ? Delivery.UDP : Delivery.TCP);
            } catch (IllegalArgumentException e) {
                throw new CliFailure(e.getMessage());
            }
            if (count > 0 && count <= MAX_UNSUBSCRIBE_AFTER) {
                subscription.unsubscribeAfter(count);
            }
            try {
                connection.flush(Duration.ofSeconds(10));
            } catch (TimeoutException e) {
                throw new CliFailure("the broker did not confirm the subscription within 10 s");
            }
            if (subscription.error().isPresent()) {
                throw new CliFailure("the broker refused the subscription to " + pattern + ": "
                        + subscription.error().get());
            }
            System.err.println("subscribed to " + pattern + " on " + ServerOption.describe(connection.connectedServer())
                    + (count > 0 ? ", exiting after " + count + (count == 1 ? " message" : " messages") : ""));
            done.await();
            if (failure.get() != null) {
                throw new CliFailure(failure.get());
            }
        }
        return 0;
    }

    private Rendering rendering() {
        if (raw && (json || headers || timestamp)) {
            throw UsageErrors.of(spec, "--raw prints the payload alone: it does not go with --json, --headers or"
                    + " --timestamp");
        }
        if (noNewline && !raw) {
            throw UsageErrors.of(spec, "--no-newline goes with --raw");
        }
        if (json && (headers || timestamp)) {
            throw UsageErrors.of(spec, "--json always includes the headers and the receive time: drop --headers"
                    + " and --timestamp");
        }
        if (raw) {
            return new Rendering.Raw(!noNewline);
        }
        return json ? new Rendering.JsonLines() : new Rendering.Text(headers, timestamp);
    }
}
