package io.courier.loadgen;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One messaging system as the load generator sees it, through that system's own client library, so every scenario
 * runs the same code against Courier, NATS and an MQTT broker: only connecting, topic spelling and the client calls
 * differ. This module has Courier's driver; the bench module adds the peers'.
 */
public interface Driver {

    /** Short name used in reports: courier, nats, mosquitto. */
    String system();

    /** The system's spelling of a dot-separated topic (MQTT separates levels with '/'). */
    String topic(String dotted);

    /** Opens a new client connection. */
    Link connect(String clientName) throws Exception;

    /** One client connection. */
    interface Link extends AutoCloseable {

        /**
         * Publishes asynchronously (at most once, the system's fastest mode). May block while the client's own
         * window of unsent messages is full, as a blocking socket write would.
         */
        void publish(String topic, byte[] payload) throws Exception;

        /** Subscribes to one literal topic; returns once the broker routes to it. */
        void subscribe(String topic, Consumer<byte[]> handler) throws Exception;

        /** Answers every request on {@code topic} with its own payload; returns once the broker routes to it. */
        void respond(String topic) throws Exception;

        /** Sends a request whose payload starts with 8 bytes the link may use to match the reply. */
        CompletableFuture<byte[]> request(String topic, byte[] payload, Duration timeout);

        /** Returns once everything published so far has left this client (and, where the protocol can say so, reached the broker). */
        void flush(Duration timeout) throws Exception;

        /** The largest payload the broker accepts, as it told this connection; {@link Long#MAX_VALUE} when it did not say. */
        default long maxPayload() {
            return Long.MAX_VALUE;
        }

        @Override
        void close() throws Exception;
    }
}
