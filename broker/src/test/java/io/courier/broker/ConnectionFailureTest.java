package io.courier.broker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.typesafe.config.ConfigFactory;
import io.courier.broker.routing.PublisherFlow;
import io.courier.broker.routing.Subscriber;
import io.courier.broker.routing.Subscription;
import io.courier.protocol.Message;
import io.courier.protocol.Publish;
import io.courier.protocol.Subscribe;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A failure inside one connection's own handling (here: routing its PUB into a subscriber that throws, on the
 * publisher's stage) stops only that connection: its socket closes, its subscriptions leave the index, the failure
 * is counted once, and every other client and the broker go on.
 */
class ConnectionFailureTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /** Stands for a bug in the code a session runs: it throws on the publisher's thread. */
    private static final Subscriber THROWING = new Subscriber() {
        @Override
        public long id() {
            return -1;
        }

        @Override
        public boolean offer(int sid, ByteString body, PublisherFlow flow) {
            throw new IllegalStateException("injected failure while routing");
        }

        @Override
        public void expired(Subscription subscription) {
        }
    };

    @Test
    void aFailingConnectionIsClosedCountedAndLoggedOnceWhileOthersGoOn() throws Exception {
        ListAppender<ILoggingEvent> errors = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        errors.start();
        root.addAppender(errors);
        try (Broker broker = Broker.start(ConfigFactory.parseString("courier.port = 0"));
             RawClient victim = RawClient.connected(broker.address(), "victim");
             RawClient bystander = RawClient.connected(broker.address(), "bystander");
             RawClient publisher = RawClient.connected(broker.address(), "publisher")) {
            broker.router().subscribe(new Subscription(THROWING, 1, "boom", ""));
            victim.send(new Subscribe(1, "victim.>", ""));
            bystander.send(new Subscribe(1, "news", ""));
            victim.flush(WAIT);
            bystander.flush(WAIT);
            assertThat(broker.subscriptionCount()).isEqualTo(3);

            victim.send(new Publish("boom", "bang".getBytes(StandardCharsets.UTF_8)));

            assertThat(victim.awaitClosedByPeer(WAIT)).as("the failed connection is closed").isTrue();
            await().atMost(WAIT).until(() -> broker.stats().failed() == 1 && broker.subscriptionCount() == 2);

            publisher.send(new Publish("news", "still here".getBytes(StandardCharsets.UTF_8)));
            assertThat(bystander.nextOf(Message.class, WAIT).payload()).asString(StandardCharsets.UTF_8)
                    .isEqualTo("still here");
            try (RawClient late = RawClient.connected(broker.address(), "late")) {
                late.flush(WAIT);
            }
            assertThat(broker.stats().failed()).isEqualTo(1);
        } finally {
            root.detachAppender(errors);
        }
        assertThat(errors.list.stream().filter(e -> e.getLevel() == Level.ERROR))
                .as("the failure is logged once, with its cause")
                .singleElement()
                .satisfies(e -> assertThat(e.getThrowableProxy().getCause().getMessage())
                        .isEqualTo("injected failure while routing"));
    }
}
