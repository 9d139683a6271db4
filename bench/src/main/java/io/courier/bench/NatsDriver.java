package io.courier.bench;

import io.courier.loadgen.Driver;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.nats.client.Options;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** NATS through jnats, the official Java client, with its defaults except a deep subscriber queue. */
public final class NatsDriver implements Driver {

    private final String url;

    /** {@code server} is host:port. */
    public NatsDriver(String server) {
        this.url = "nats://" + server;
    }

    @Override
    public String system() {
        return "nats";
    }

    @Override
    public String topic(String dotted) {
        return dotted;
    }

    @Override
    public Link connect(String clientName) throws Exception {
        return new NatsLink(Nats.connect(new Options.Builder().server(url).connectionName(clientName).build()));
    }

    private static final class NatsLink implements Link {
        private final Connection connection;

        NatsLink(Connection connection) {
            this.connection = connection;
        }

        @Override
        public void publish(String topic, byte[] payload) {
            connection.publish(topic, payload);
        }

        @Override
        public void subscribe(String topic, Consumer<byte[]> handler) throws Exception {
            Dispatcher d = connection.createDispatcher(m -> handler.accept(m.getData()));
            // The same depth as the Courier driver's queue, so neither client drops on its own side.
            d.setPendingLimits(1 << 20, 0);
            d.subscribe(topic);
            connection.flush(Duration.ofSeconds(10));
        }

        @Override
        public void respond(String topic) throws Exception {
            Dispatcher d = connection.createDispatcher(m -> connection.publish(m.getReplyTo(), m.getData()));
            d.subscribe(topic);
            connection.flush(Duration.ofSeconds(10));
        }

        @Override
        public CompletableFuture<byte[]> request(String topic, byte[] payload, Duration timeout) {
            return connection.requestWithTimeout(topic, payload, timeout).thenApply(m -> m.getData());
        }

        @Override
        public void flush(Duration timeout) throws Exception {
            connection.flush(timeout);
        }

        @Override
        public long maxPayload() {
            return connection.getMaxPayload() > 0 ? connection.getMaxPayload() : Long.MAX_VALUE;
        }

        @Override
        public void close() throws InterruptedException {
            connection.close();
        }
    }
}
