package io.courier.cli;

import io.courier.client.Connection;
import io.courier.client.Message;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/** Prints messages as they arrive, one per line. */
@Command(name = "sub", mixinStandardHelpOptions = true,
        description = {"Subscribe to PATTERN and print each message as it arrives: 'TOPIC PAYLOAD' per line",
                "(payload as UTF-8), or the payload alone with --raw. '*' matches one token, '>' the rest."})
final class SubCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "PATTERN", description = "topic pattern, e.g. 'orders.>' (quote it)")
    String pattern;

    @Option(names = {"-q", "--queue"}, paramLabel = "GROUP", description = "join queue group GROUP")
    String queue = "";

    @Option(names = {"-n", "--count"}, paramLabel = "N", description = "exit after N messages")
    Long count;

    @Option(names = {"--raw"}, description = "print only the payload")
    boolean raw;

    @Mixin
    ServerOption server;

    @Override
    public Integer call() throws Exception {
        if (count != null && count < 1) {
            throw new CliFailure("--count must be at least 1, got " + count);
        }
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong seen = new AtomicLong();
        try (Connection connection = server.connect("courier-cli-sub")) {
            try {
                connection.subscribe(pattern, queue, message -> {
                    long n = seen.incrementAndGet();
                    if (count != null && n > count) {
                        return;
                    }
                    print(out, message);
                    if (count != null && n == count) {
                        done.countDown();
                    }
                });
            } catch (IllegalArgumentException e) {
                throw new CliFailure(e.getMessage());
            }
            done.await();
        }
        return 0;
    }

    private void print(PrintStream out, Message message) {
        String payload = new String(message.payload(), StandardCharsets.UTF_8);
        out.println(raw ? payload : message.topic() + " " + payload);
        out.flush();
    }
}
