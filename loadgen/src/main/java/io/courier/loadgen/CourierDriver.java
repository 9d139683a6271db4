package io.courier.loadgen;

import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.Message;
import io.courier.client.Options;
import io.courier.client.ServerInfo;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** Courier through its own Java client. */
public final class CourierDriver implements Driver {

    private final List<String> servers;

    public CourierDriver(List<String> servers) {
        this.servers = List.copyOf(servers);
    }

    @Override
    public String system() {
        return "courier";
    }

    @Override
    public String topic(String dotted) {
        return dotted;
    }

    @Override
    public Link connect(String clientName) throws IOException, InterruptedException {
        // A deep per-subscription queue: the bench measures the broker, not the client's overflow policy.
        Connection c = Courier.connect(Options.builder().servers(servers).name(clientName)
                .subscriptionPendingLimit(1 << 20).build());
        return new CourierLink(c);
    }

    private record CourierLink(Connection connection) implements Link {

        @Override
        public void publish(String topic, byte[] payload) {
            connection.publish(topic, payload);
        }

        @Override
        public void subscribe(String topic, Consumer<byte[]> handler) throws Exception {
            connection.subscribe(topic, m -> handler.accept(m.payload()));
            connection.flush(Duration.ofSeconds(10));
        }

        @Override
        public void respond(String topic) throws Exception {
            connection.subscribe(topic, m -> connection.publish(m.replyTo(), Map.of(), m.payload()));
            connection.flush(Duration.ofSeconds(10));
        }

        @Override
        public CompletableFuture<byte[]> request(String topic, byte[] payload, Duration timeout) {
            return connection.request(topic, payload, timeout).thenApply(Message::payload);
        }

        @Override
        public void flush(Duration timeout) throws Exception {
            connection.flush(timeout);
        }

        @Override
        public long maxPayload() {
            ServerInfo info = connection.serverInfo();
            return info == null || info.maxPayload() <= 0 ? Long.MAX_VALUE : info.maxPayload();
        }

        @Override
        public void close() {
            connection.close();
        }
    }
}
