package io.courier.broker;

import io.courier.client.Connection;
import io.courier.client.CourierException;
import io.courier.client.Options;
import io.courier.protocol.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A graceful stop loses nothing the broker accepted: a subscriber still draining a backlog gets all of it within
 * the shutdown timeout, and what a client published after it heard of the stop is sent again on its next link.
 */
class GracefulStopTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final Brokers brokers = new Brokers();

    @Test
    void aSubscriberDrainingABacklogGetsEveryMessageTheBrokerAcceptedBeforeItStops() throws Exception {
        // Before: the drain ended after close-timeout (2 s) though shutdown-timeout was 10 s, and a 2 MB/s reader got
        // 35,933 of the 100,000 messages the broker had accepted.
        Broker broker = brokers.start("""
                courier.slow-consumer.max-pending = 4 MiB
                courier.slow-consumer.publisher-pause = 30s
                courier.slow-consumer.max-pacing = 60s
                courier.shutdown-timeout = 20s
                # The broker waits this long for clients to say they stopped: a paused publisher must be read at once.
                courier.close-timeout = 500ms
                """);
        PacedReader reader = brokers.closeAfter(new PacedReader(broker.address(), "drain.t", 2_000_000, 0));
        await().atMost(WAIT).until(() -> broker.subscriptionCount() == 1);
        Connection publisher = brokers.client(Options.builder().server(Brokers.address(broker)).name("publisher")
                .maxReconnectAttempts(0));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong published = new AtomicLong();
        CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
            for (long i = 0; !stop.get(); i++) {
                try {
                    publisher.publish("drain.t", PacedReader.payload(i, 1024));
                    published.incrementAndGet();
                } catch (CourierException e) {
                    return;   // the connection went away with the broker
                }
            }
        });
        // A backlog of megabytes, and the publisher paused by flow control: it must still be read to the end.
        await().atMost(WAIT).until(() -> broker.stats().messagesIn() > 4_000 && broker.stats().publisherPauses() > 0);

        long publishedBeforeStop = published.get();
        broker.stop();
        stop.set(true);
        publishing.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(reader.awaitEnd(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(reader.errors()).as("told first").first().satisfies(e ->
                assertThat(e.code()).isEqualTo(ErrorCode.SERVER_SHUTDOWN));
        assertThat(reader.messages()).as("every message the broker accepted")
                .isEqualTo(broker.stats().messagesIn());
        assertThat(reader.messages()).as("every message published before the stop began")
                .isGreaterThanOrEqualTo(publishedBeforeStop);
        assertThat(reader.outOfOrder()).isZero();
        assertThat(broker.stats().messagesOut()).isEqualTo(broker.stats().messagesIn());
    }

    @Test
    void whatAPublisherSentAfterTheStopIsSentAgainOnItsNextLinkSoEveryMessageArrivesOnce() throws Exception {
        // Before: 95,168 publish() calls returned after SIGTERM and 20,622 were delivered.
        Broker first = brokers.start("courier.slow-consumer.max-pacing = 60s");
        Broker second = brokers.start("");
        PacedReader onFirst = brokers.closeAfter(new PacedReader(first.address(), "seq.t", -1, 0));
        PacedReader onSecond = brokers.closeAfter(new PacedReader(second.address(), "seq.t", -1, 0));
        await().atMost(WAIT).until(() -> first.subscriptionCount() == 1 && second.subscriptionCount() == 1);

        Connection publisher = brokers.client(Options.builder()
                .servers(List.of(Brokers.address(first), Brokers.address(second))).name("publisher")
                .reconnectBufferBytes(64L * 1024 * 1024));
        AtomicLong published = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        Set<Long> refused = ConcurrentHashMap.newKeySet();
        CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
            long end = System.nanoTime() + WAIT.toNanos();
            for (long i = 0; !stop.get() && System.nanoTime() < end; i++) {
                try {
                    publisher.publish("seq.t", PacedReader.payload(i, 100));
                } catch (CourierException e) {
                    // The reconnect buffer is full: refused, not lost. Stop here so what was published is 0..i-1.
                    refused.add(i);
                    return;
                }
                published.set(i + 1);
            }
        });
        await().atMost(WAIT).until(() -> first.stats().messagesIn() > 50_000);
        first.stop();
        await().atMost(WAIT).until(() -> second.stats().messagesIn() > 20_000);
        stop.set(true);
        publishing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        publisher.flush(WAIT);

        long total = published.get();
        assertThat(refused).as("at most the last publish was refused (reconnect buffer full)").hasSizeLessThan(2);
        try {
            await().atMost(WAIT).until(() -> onFirst.messages() + onSecond.messages() == total);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("published " + total + "; first accepted " + first.stats().messagesIn()
                    + ", delivered " + onFirst.messages() + " (last " + onFirst.lastSequence() + ", out of order "
                    + onFirst.outOfOrder() + "); second accepted " + second.stats().messagesIn() + ", delivered "
                    + onSecond.messages() + " (last " + onSecond.lastSequence() + ", out of order "
                    + onSecond.outOfOrder() + "); first's errors " + onFirst.errors(), e);
        }
        assertThat(onFirst.messages()).as("the first broker delivered all it accepted")
                .isEqualTo(first.stats().messagesIn());
        assertThat(onFirst.outOfOrder()).isZero();
        assertThat(onSecond.lastSequence()).isEqualTo(total - 1);
        long firstOnSecond = total - onSecond.messages();
        assertThat(firstOnSecond).as("the second broker's first message follows the first broker's last")
                .isEqualTo(onFirst.lastSequence() + 1);
        assertThat(onSecond.outOfOrder()).as("on the second broker, only its first message is 'out of order'")
                .isEqualTo(1);
    }
}
