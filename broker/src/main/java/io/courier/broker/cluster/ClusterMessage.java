package io.courier.broker.cluster;

/**
 * Marker of the messages brokers send each other over Pekko's remoting (hellos, interest changes): serialized as
 * CBOR by Pekko's Jackson serializer (bound in {@code ClusterConfig}). Messages between clients travel on route
 * links, never as these.
 */
public interface ClusterMessage {
}
