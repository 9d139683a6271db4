package io.courier.bench.raw;

import java.nio.ByteBuffer;

/**
 * One broker's wire protocol, spoken without its client library: the few packets a raw pub/sub run sends, each
 * encoded once up front, and a reader that counts what arrives. Every protocol has a request the broker answers only
 * after it has read everything sent before it on that connection (Courier and NATS PING, MQTT PINGREQ), which is how
 * a connection learns that its handshake, its subscription or its publishing is done.
 */
public sealed interface Wire permits CourierWire, NatsWire, MqttWire {

    /** Short name used in reports: courier, nats, mosquitto. */
    String system();

    /** The protocol's spelling of a dot-separated topic. */
    String topic(String dotted);

    /** What a client sends right after the TCP connect, before anything else. */
    byte[] hello(String clientName);

    /** A subscription to one literal topic. */
    byte[] subscribe(String topic, int id);

    /** One at-most-once publish. */
    byte[] publish(String topic, byte[] payload);

    /** The request the broker answers after everything sent before it (see above). */
    byte[] ping();

    /** The answer to the broker's own heartbeat request, or an empty array when the protocol has none. */
    byte[] pong();

    /** A reader for one connection's inbound bytes; one per connection, used by its reading thread only. */
    Reader reader();

    /** Splits a connection's inbound stream into the protocol's units and counts them. */
    interface Reader {
        /**
         * Consumes every complete unit in {@code in} and reports it to {@code events}; an incomplete one stays at
         * {@code in}'s position for the next call.
         *
         * @throws java.io.IOException when the broker sent an error or something this reader cannot parse
         */
        void read(ByteBuffer in, Events events) throws java.io.IOException;
    }

    /** What a reader found. */
    interface Events {
        /** {@code n} messages delivered to this connection. */
        void messages(int n);

        /** The broker answered a {@link #ping()}. */
        void pong();

        /** The broker asked for a heartbeat answer ({@link #pong()}). */
        void ping();
    }
}
