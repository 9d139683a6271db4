package io.courier.bench;

import io.courier.loadgen.Driver;
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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * An MQTT 3.1.1 broker (Mosquitto) through Paho's asynchronous client at QoS 0, the protocol's fire-and-forget mode
 * and the closest to Courier's and NATS's delivery. MQTT 3.1.1 has no reply topic, so a request goes to
 * {@code topic} and the responder echoes it to {@code topic/reply}; the first 8 payload bytes carry the request's
 * number, which matches the reply to its future.
 *
 * <p>Publishing is paced by a window of {@value #WINDOW} messages handed to Paho and not yet written to the socket:
 * {@link Link#publish} takes a permit (blocking, as a full socket would) and Paho's {@code deliveryComplete}, which
 * it calls for a QoS 0 message once it is written, gives it back. Paho itself does not bound QoS 0 messages (its
 * max-inflight counts only the one its sender thread holds), and it keeps unsent ones in a {@code Vector} it removes
 * from the front of: unbounded, each send moved the whole backlog, and a 1,000,000-message run fell to a few hundred
 * messages a second. The window keeps that queue short without sleeping or retrying.
 */
public final class MqttDriver implements Driver {

    /** Messages handed to Paho and not yet written by its sender thread, per connection. */
    static final int WINDOW = 1_000;
    /** The userContext of a windowed publish, so {@code deliveryComplete} releases only what {@code publish} took. */
    private static final Object WINDOWED = new Object();

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
        // QoS 0 messages count against it only while Paho's sender thread holds them; the window above is the bound.
        options.setMaxInflight(WINDOW);
        MqttLink link = new MqttLink(client);
        client.setCallback(link);
        client.connect(options).waitForCompletion(10_000);
        return link;
    }

    private static final class MqttLink implements Link, MqttCallback {
        private final MqttAsyncClient client;
        private final Semaphore window = new Semaphore(WINDOW);
        private final Map<String, Consumer<byte[]>> handlers = new ConcurrentHashMap<>();
        private final Map<Long, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
        private final AtomicLong nextRequest = new AtomicLong();
        private volatile String replyTopic;

        MqttLink(MqttAsyncClient client) {
            this.client = client;
        }

        @Override
        public void publish(String topic, byte[] payload) throws MqttException, InterruptedException {
            window.acquire();
            try {
                client.publish(topic, payload, 0, false, WINDOWED, null);
            } catch (MqttException | RuntimeException e) {
                window.release();
                throw e;
            }
        }

        /**
         * For the responder, which publishes from Paho's callback thread: that thread is the one that releases the
         * window, so it must never wait for it. One reply per request keeps this bounded by the requests in flight.
         */
        private void publishFromCallback(String topic, byte[] payload) throws MqttException {
            client.publish(topic, payload, 0, false);
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
                    publishFromCallback(reply, payload);
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
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reply.completeExceptionally(e);
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

        /** Every windowed message has been written to the socket once the whole window is free again. */
        @Override
        public void flush(Duration timeout) throws InterruptedException {
            if (!window.tryAcquire(WINDOW, timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("Paho did not write " + (WINDOW - window.availablePermits())
                        + " QoS 0 messages within " + timeout);
            }
            window.release(WINDOW);
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
            if (token.getUserContext() == WINDOWED) {
                window.release();
            }
        }
    }
}
