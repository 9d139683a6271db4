package io.courier.broker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.typesafe.config.ConfigFactory;
import io.courier.broker.routing.PublisherFlow;
import io.courier.broker.routing.Subscriber;
import io.courier.broker.routing.Subscription;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
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
 * A failure while delivering to one subscriber (here: its subscription's delivery throws, on the publisher's thread)
 * stops only that subscriber's link: it gets ERR INTERNAL_ERROR and its socket closes, its subscriptions leave the
 * index, the failure is counted and logged once, and the publisher, every other subscriber and the broker go on.
 */
class ConnectionFailureTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /** Stands for a bug on the subscriber's side of delivery: the victim's own link, throwing when offered. */
    private static Subscriber throwingFront(Subscriber victim) {
        return new Subscriber() {
            @Override
            public long id() {
                return victim.id();
            }

            @Override
            public boolean offer(int sid, ByteString body, PublisherFlow flow) {
                throw new IllegalStateException("injected failure while delivering");
            }

            @Override
            public void expired(Subscription subscription) {
                victim.expired(subscription);
            }

            @Override
            public void failed(Throwable cause) {
                victim.failed(cause);
            }
        };
    }

    @Test
    void aFailureDeliveringToOneSubscriberClosesThatSubscriberOnlyCountedAndLoggedOnce() throws Exception {
        ListAppender<ILoggingEvent> errors = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        errors.start();
        root.addAppender(errors);
        try (Broker broker = Broker.start(ConfigFactory.parseString("courier.port = 0"));
             RawClient victim = RawClient.connected(broker.address(), "victim");
             RawClient bystander = RawClient.connected(broker.address(), "bystander");
             RawClient publisher = RawClient.connected(broker.address(), "publisher")) {
            victim.send(new Subscribe(1, "news", ""));
            bystander.send(new Subscribe(2, "news", ""));
            victim.flush(WAIT);
            bystander.flush(WAIT);
            Subscription real = broker.router().match("news").plain().stream()
                    .filter(s -> s.sid() == 1).findFirst().orElseThrow();
            broker.router().unsubscribe(real);
            broker.router().subscribe(new Subscription(throwingFront(real.subscriber()), 1, "news", ""));
            assertThat(broker.subscriptionCount()).isEqualTo(2);

            for (int i = 0; i < 3; i++) {
                publisher.send(new Publish("news", ("m" + i).getBytes(StandardCharsets.UTF_8)));
            }

            Err err = victim.nextOf(Err.class, WAIT);
            assertThat(err.code()).isEqualTo(ErrorCode.INTERNAL_ERROR);
            assertThat(victim.awaitClosedByPeer(WAIT)).as("the failed subscriber's link is closed").isTrue();
            // What stays is the bystander's and the injected front, which no link owns.
            await().atMost(WAIT).until(() -> broker.stats().failed() == 1 && broker.subscriptionCount() == 2);

            publisher.flush(WAIT);
            for (int i = 0; i < 3; i++) {
                assertThat(bystander.nextOf(Message.class, WAIT).payload()).asString(StandardCharsets.UTF_8)
                        .isEqualTo("m" + i);
            }
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
                .satisfies(e -> assertThat(e.getThrowableProxy().getMessage())
                        .isEqualTo("injected failure while delivering"));
    }
}
