package io.courier.loadgen;

import io.courier.client.Connection;
import io.courier.client.Courier;
import io.courier.client.Delivery;
import io.courier.client.Message;
import io.courier.client.Options;
import io.courier.client.ServerInfo;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Courier through its own Java client. With {@code udp}, every connection binds a UDP endpoint, publishes go as
 * datagrams ({@link Connection#publishUdp}) and subscriptions are {@link Delivery#UDP}: lossy, no flow control, so a
 * scenario must not wait for every message. Request/reply stays on TCP (a datagram publish carries no reply topic).
 */
public final class CourierDriver implements Driver {

    private final List<String> servers;
    private final boolean udp;

    public CourierDriver(List<String> servers) {
        this(servers, false);
    }

    public CourierDriver(List<String> servers, boolean udp) {
        this.servers = List.copyOf(servers);
        this.udp = udp;
    }

    @Override
    public String system() {
        return udp ? "courier-udp" : "courier";
    }

    /** Whether publishes and deliveries go as datagrams. */
    public boolean udp() {
        return udp;
    }

    @Override
    public String topic(String dotted) {
        return dotted;
    }

    @Override
    public Link connect(String clientName) throws IOException, InterruptedException {
        // A deep per-subscription queue: the bench measures the broker, not the client's overflow policy.
        Connection c = Courier.connect(Options.builder().servers(servers).name(clientName)
                .subscriptionPendingLimit(1 << 20).udp(udp).build());
        return new CourierLink(c, udp);
    }

    private record CourierLink(Connection connection, boolean udp) implements Link {

        @Override
        public void publish(String topic, byte[] payload) {
            if (udp) {
                connection.publishUdp(topic, payload);
            } else {
                connection.publish(topic, payload);
            }
        }

        @Override
        public void subscribe(String topic, Consumer<byte[]> handler) throws Exception {
            connection.subscribe(topic, m -> handler.accept(m.payload()), udp ? Delivery.UDP : Delivery.TCP);
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
