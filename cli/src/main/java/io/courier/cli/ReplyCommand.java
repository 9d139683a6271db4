package io.courier.cli;

import io.courier.client.Connection;
import io.courier.client.ConnectionEvent;
import io.courier.client.Subscription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

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

    @Option(names = {"-n", "--count"}, paramLabel = "N", defaultValue = "0", converter = Counts.Limit.class,
            description = "exit after answering N requests; 0 = no limit, until Ctrl-C (default: ${DEFAULT-VALUE})")
    long count;

    @Mixin
    ServerOption server;

    @Override
    public Integer call() throws Exception {
        byte[] payload = response.getBytes(StandardCharsets.UTF_8);
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong answered = new AtomicLong();
        AtomicReference<String> failure = new AtomicReference<>();
        try (Connection connection = server.connect("courier-cli-reply", event -> {
            if (event.type() == ConnectionEvent.Type.CLOSED && failure.compareAndSet(null, event.reason())) {
                done.countDown();
            }
        })) {
            Subscription subscription;
            try {
                subscription = connection.subscribe(pattern, queue, request -> {
                    if (!request.hasReplyTo()) {
                        return;
                    }
                    long n = answered.incrementAndGet();
                    if (count > 0 && n > count) {
                        return;
                    }
                    connection.publish(request.replyTo(), Map.of(), payload);
                    if (count > 0 && n == count) {
                        done.countDown();
                    }
                });
            } catch (IllegalArgumentException e) {
                throw new CliFailure(e.getMessage());
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
            String until = count > 0 ? ", exiting after " + count + (count == 1 ? " request" : " requests")
                    : " (Ctrl-C to stop)";
            System.err.println("answering requests on " + pattern + " at "
                    + ServerOption.describe(connection.connectedServer()) + until);
            done.await();
            if (failure.get() != null) {
                throw new CliFailure(failure.get());
            }
        }
        return 0;
    }
}
