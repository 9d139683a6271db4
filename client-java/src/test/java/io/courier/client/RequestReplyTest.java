package io.courier.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RequestReplyTest {

    @RegisterExtension
    final ClientFixture fixture = ClientFixture.connected(options -> options);

    @Test
    void requestCompletesWithTheReply() throws Exception {
        Connection connection = fixture.connection();
        connection.subscribe("svc.upper", m -> connection.publish(m.replyTo(), Map.of("served-by", "test"),
                m.payloadAsString().toUpperCase().getBytes(StandardCharsets.UTF_8)));
        connection.flush(Duration.ofSeconds(5));
        Message reply = connection.request("svc.upper", "hello".getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
        assertThat(reply.payloadAsString()).isEqualTo("HELLO");
        assertThat(reply.headers()).containsEntry("served-by", "test");
        Message second = connection.request("svc.upper", Map.of(), "again".getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
        assertThat(second.payloadAsString()).isEqualTo("AGAIN");
    }

    @Test
    void replyCompletesTheFutureOnTheReaderThreadWhileHandlersRunOnDispatchThreads() throws Exception {
        Connection connection = fixture.connection();
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> handlerThread = new CompletableFuture<>();
        connection.subscribe("svc.gated", m -> {
            handlerThread.complete(Thread.currentThread().getName());
            release.await(5, TimeUnit.SECONDS);
            connection.publish(m.replyTo(), m.payload());
        });
        connection.flush(Duration.ofSeconds(5));
        CompletableFuture<Message> reply = connection.request("svc.gated", new byte[0], Duration.ofSeconds(5));
        CompletableFuture<String> stageThread = reply.thenApply(m -> Thread.currentThread().getName());
        release.countDown(); // the reply can only come now, after the stage was added
        assertThat(stageThread.get(5, TimeUnit.SECONDS)).isEqualTo("courier-reader");
        assertThat(handlerThread.get(5, TimeUnit.SECONDS)).startsWith("courier-dispatch-");
    }

    @Test
    void requestWithoutRespondersFailsWithNoResponders() {
        Connection connection = fixture.connection();
        CompletableFuture<Message> reply = connection.request("nobody.home", new byte[0], Duration.ofSeconds(5));
        assertThatThrownBy(() -> reply.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(NoRespondersException.class)
                .hasMessageContaining("nobody.home");
    }

    @Test
    void requestTimesOutWhenTheResponderStaysSilent() throws Exception {
        Connection connection = fixture.connection();
        connection.subscribe("svc.silent", m -> { });
        connection.flush(Duration.ofSeconds(5));
        CompletableFuture<Message> reply = connection.request("svc.silent", new byte[0], Duration.ofMillis(200));
        assertThatThrownBy(() -> reply.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(TimeoutException.class);
    }

    @Test
    void newInboxGivesUniqueValidTopics() {
        Connection connection = fixture.connection();
        Set<String> inboxes = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String inbox = connection.newInbox();
            assertThat(inbox).startsWith("_INBOX.");
            assertThat(io.courier.protocol.Topic.isValidTopic(inbox)).isTrue();
            inboxes.add(inbox);
        }
        assertThat(inboxes).hasSize(1000);
    }
}
