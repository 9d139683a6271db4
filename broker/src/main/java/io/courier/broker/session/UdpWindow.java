package io.courier.broker.session;

import io.courier.broker.UdpStats;
import io.courier.broker.transport.udp.DatagramSender;
import io.courier.broker.transport.udp.UdpSocket;
import io.courier.protocol.Datagram;
import org.apache.pekko.util.ByteString;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * One UDP subscription's numbering, and its window of datagrams waiting for room in the socket's send buffer: at
 * most {@code size} of them, the oldest dropped first (counted), so that a subscriber the kernel cannot keep up with
 * loses old updates and sees the gap, and never costs the broker more than its window.
 */
final class UdpWindow implements UdpSocket.Pending {

    /**
     * Where each routing thread writes a datagram before sending it: a direct buffer, so the kernel reads it in
     * place (a heap buffer is copied into a direct one by the JDK on every send); only a datagram that has to wait
     * is copied out of it.
     */
    private static final ThreadLocal<ByteBuffer> OUT =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(64 * 1024));

    private final int sid;
    private final int size;
    private final DatagramSender socket;
    private final Supplier<InetSocketAddress> address;
    private final UdpStats stats;
    private final ArrayDeque<ByteBuffer> waiting = new ArrayDeque<>();
    private int seq;
    private boolean scheduled;

    /** {@code address} is the endpoint's address when the window is flushed later (null once unbound). */
    UdpWindow(int sid, int size, DatagramSender socket, Supplier<InetSocketAddress> address, UdpStats stats) {
        this.sid = sid;
        this.size = size;
        this.socket = socket;
        this.address = address;
        this.stats = stats;
    }

    /** Numbers {@code body} as this subscription's next datagram and sends it to {@code to}, now or later. */
    synchronized void send(ByteString body, InetSocketAddress to) {
        ByteBuffer datagram = OUT.get();
        datagram.clear();
        Datagram.putMessageHead(datagram, sid, ++seq);
        body.copyToBuffer(datagram);
        datagram.flip();
        if (waiting.isEmpty() && socket.trySend(datagram, to)) {
            return;
        }
        if (waiting.size() >= size) {
            waiting.poll();
            stats.windowDropped();
        }
        waiting.add(ByteBuffer.allocate(datagram.limit()).put(datagram.rewind()).flip());
        if (!scheduled) {
            scheduled = true;
            socket.retryLater(this);
        }
    }

    /** Datagrams waiting now. */
    synchronized int waiting() {
        return waiting.size();
    }

    @Override
    public synchronized boolean flush() {
        InetSocketAddress to = address.get();
        while (to != null && !waiting.isEmpty()) {
            if (!socket.trySend(waiting.peek(), to)) {
                return false;
            }
            waiting.poll();
        }
        waiting.clear();
        scheduled = false;
        return true;
    }
}
