package io.courier.cli;

import io.courier.client.Connection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/** Answers requests with a fixed payload: the other half of {@code req}, handy for trying request/reply. */
@Command(name = "reply", mixinStandardHelpOptions = true,
        description = "Answer every request on PATTERN with RESPONSE until interrupted (or --count requests).")
final class ReplyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "PATTERN", description = "topic pattern to serve")
    String pattern;

    @Parameters(index = "1", paramLabel = "RESPONSE", description = "reply payload (UTF-8)")
    String response;

    @Option(names = {"-q", "--queue"}, paramLabel = "GROUP", description = "serve as a member of queue group GROUP")
    String queue = "";

    @Option(names = {"-n", "--count"}, paramLabel = "N", description = "exit after answering N requests")
    Long count;

    @Mixin
    ServerOption server;

    @Override
    public Integer call() throws Exception {
        byte[] payload = response.getBytes(StandardCharsets.UTF_8);
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong answered = new AtomicLong();
        try (Connection connection = server.connect("courier-cli-reply")) {
            try {
                connection.subscribe(pattern, queue, request -> {
                    if (!request.hasReplyTo()) {
                        return;
                    }
                    connection.publish(request.replyTo(), Map.of(), payload);
                    if (count != null && answered.incrementAndGet() == count) {
                        done.countDown();
                    }
                });
            } catch (IllegalArgumentException e) {
                throw new CliFailure(e.getMessage());
            }
            System.err.println("answering requests on " + pattern + " (Ctrl-C to stop)");
            done.await();
        }
        return 0;
    }
}
