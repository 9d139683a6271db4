package io.courier.broker.transport.udp;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/** Where the broker's datagrams go out: the {@link UdpSocket}, seen from the senders that must not wait on it. */
public interface DatagramSender {

    /**
     * Sends {@code datagram} (position to limit) to {@code to} without waiting: false when the kernel's buffer is full
     * and it was not sent (the caller keeps it, and asks for {@link #retryLater}).
     */
    boolean trySend(ByteBuffer datagram, InetSocketAddress to);

    /** {@code p} holds datagrams the kernel refused: it is flushed again once the socket is writable. */
    void retryLater(UdpSocket.Pending p);
}
