package io.courier.client;

/** How a subscription's messages reach this client. */
public enum Delivery {
    /** Over the connection's TCP link: ordered and complete (the default). */
    TCP,
    /**
     * As datagrams to the connection's UDP endpoint ({@link Options.Builder#udp}): fastest, may lose messages (each
     * one says how many were lost before it, {@link Message#gapBefore()}); messages larger than the broker's max
     * datagram are not delivered this way.
     */
    UDP
}
