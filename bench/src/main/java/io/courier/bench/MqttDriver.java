package io.courier.bench;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * An MQTT 3.1.1 broker (Mosquitto) through Paho's asynchronous client at QoS 0, the protocol's fire-and-forget mode
 * and the closest to Courier's and NATS's delivery. MQTT 3.1.1 has no reply topic, so a request goes to
 * {@code topic} and the responder echoes it to {@code topic/reply}; the first 8 payload bytes carry the request's
 * number, which matches the reply to its future.
 */
public final class MqttDriver implements Driver {

    private static final int MAX_INFLIGHT = 10_000;
    private final String uri;

    /** {@code server} is host:port. */
    public MqttDriver(String server) {
        this.uri = "tcp://" + server;
    }

    @Override
    public String system() {
        return "mosquitto";
    }

    @Override
    public IdleConnections.Protocol protocol() {
        return IdleConnections.Protocol.MQTT;
    }

    @Override
    public String topic(String dotted) {
        return dotted.replace('.', '/');
    }

    @Override
    public Link connect(String clientName) throws MqttException {
        String id = clientName + "-" + Long.toHexString(System.nanoTime());
        MqttAsyncClient client = new MqttAsyncClient(uri, id, new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setAutomaticReconnect(false);
        options.setMaxInflight(MAX_INFLIGHT);
        MqttLink link = new MqttLink(client);
        client.setCallback(link);
        client.connect(options).waitForCompletion(10_000);
        return link;
    }

    private static final class MqttLink implements Link, MqttCallback {
        private final MqttAsyncClient client;
        private final Map<String, Consumer<byte[]>> handlers = new ConcurrentHashMap<>();
        private final Map<Long, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
        private final AtomicLong nextRequest = new AtomicLong();
        private volatile IMqttDeliveryToken last;
        private volatile String replyTopic;

        MqttLink(MqttAsyncClient client) {
            this.client = client;
        }

        @Override
        public void publish(String topic, byte[] payload) throws MqttException {
            while (true) {
                try {
                    last = client.publish(topic, payload, 0, false);
                    return;
                } catch (MqttException e) {
                    // Paho counts unsent QoS 0 messages against max-inflight: wait for its sender, as a blocking write would.
                    if (e.getReasonCode() != MqttException.REASON_CODE_MAX_INFLIGHT) {
                        throw e;
                    }
                    LockSupport.parkNanos(20_000);
                }
            }
        }

        @Override
        public void subscribe(String topic, Consumer<byte[]> handler) throws MqttException {
            handlers.put(topic, handler);
            client.subscribe(topic, 0).waitForCompletion(10_000);
        }

        @Override
        public void respond(String topic) throws MqttException {
            String reply = topic + "/reply";
            subscribe(topic, payload -> {
                try {
                    publish(reply, payload);
                } catch (MqttException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        @Override
        public CompletableFuture<byte[]> request(String topic, byte[] payload, Duration timeout) {
            CompletableFuture<byte[]> reply = new CompletableFuture<>();
            try {
                listenForReplies(topic + "/reply");
                long id = nextRequest.incrementAndGet();
                byte[] stamped = payload.clone();
                ByteBuffer.wrap(stamped).putLong(0, id);
                pending.put(id, reply);
                reply.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS).whenComplete((r, e) -> pending.remove(id));
                publish(topic, stamped);
            } catch (MqttException | RuntimeException e) {
                reply.completeExceptionally(e);
            }
            return reply;
        }

        private void listenForReplies(String topic) throws MqttException {
            if (topic.equals(replyTopic)) {
                return;
            }
            subscribe(topic, payload -> {
                CompletableFuture<byte[]> f = pending.get(ByteBuffer.wrap(payload).getLong(0));
                if (f != null) {
                    f.complete(payload);
                }
            });
            replyTopic = topic;
        }

        @Override
        public void flush(Duration timeout) throws MqttException {
            IMqttDeliveryToken t = last;
            if (t != null) {
                t.waitForCompletion(timeout.toMillis());
            }
        }

        @Override
        public void close() throws MqttException {
            if (client.isConnected()) {
                client.disconnect(5_000).waitForCompletion(6_000);
            }
            client.close();
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            Consumer<byte[]> handler = handlers.get(topic);
            if (handler != null) {
                handler.accept(message.getPayload());
            }
        }

        @Override
        public void connectionLost(Throwable cause) {
            System.err.println("mqtt connection lost: " + cause);
        }

        @Override
        public void deliveryComplete(IMqttDeliveryToken token) {
        }
    }
}
