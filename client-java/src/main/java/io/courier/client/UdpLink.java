package io.courier.client;

import io.courier.protocol.Datagram;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP side of one TCP link: a datagram socket connected to the broker's UDP port, the session's token, and the
 * thread that reads datagrams into their subscriptions. Made when the broker answers UDP_OPEN with UDP_READY, bound
 * once it confirms the HELLO with UDP_BOUND, closed with its link. Sending is any thread's (a datagram is written
 * whole or not at all).
 */
final class UdpLink implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(UdpLink.class);
    private static final int SOCKET_BUFFER = 4 * 1024 * 1024;

    /** Counters kept across links, for {@link UdpCounters}. */
    static final class Counters {
        final LongAdder sent = new LongAdder();
        final LongAdder notSent = new LongAdder();
        final LongAdder received = new LongAdder();
        final LongAdder gaps = new LongAdder();
        final LongAdder late = new LongAdder();
        final LongAdder resyncs = new LongAdder();
        final LongAdder resyncMessages = new LongAdder();

        UdpCounters snapshot() {
            return new UdpCounters(sent.sum(), notSent.sum(), received.sum(), gaps.sum(), late.sum(), resyncs.sum(),
                    resyncMessages.sum());
        }
    }

    private final DatagramChannel channel;
    private final byte[] token;
    private final int maxDatagram;
    private final Subscriptions subscriptions;
    private final Counters counters;
    private final int dropEvery;
    private final AtomicInteger seq = new AtomicInteger();
    private final AtomicLong arrivals = new AtomicLong();
    private final ThreadLocal<ByteBuffer> out;
    private volatile boolean bound;
    private volatile boolean closed;

    UdpLink(InetSocketAddress broker, byte[] token, int maxDatagram, Subscriptions subscriptions, Counters counters,
            int dropEvery) throws IOException {
        this.token = token;
        this.maxDatagram = maxDatagram;
        this.subscriptions = subscriptions;
        this.counters = counters;
        this.dropEvery = dropEvery;
        // Direct: the kernel reads it in place, where a heap buffer is copied into a direct one on every send.
        this.out = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(maxDatagram));
        channel = DatagramChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            channel.connect(broker);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    int maxDatagram() {
        return maxDatagram;
    }

    boolean isBound() {
        return bound && !closed;
    }

    /** The broker confirmed the HELLO. */
    void markBound() {
        bound = true;
    }

    /** Sends a HELLO: binds the endpoint the first time, keeps it (and any NAT mapping on the way) alive after. */
    void hello() {
        try {
            channel.write(ByteBuffer.wrap(Datagram.hello(token)));
        } catch (IOException e) {
            log.debug("UDP HELLO not sent: {}", e.toString());
        }
    }

    /** Bytes a PUB datagram with these fields (in wire form) takes. */
    static int publishSize(byte[] topic, byte[] replyTo, byte[] headers, int payloadLength) {
        return Datagram.PUB_HEAD_BYTES + (int) io.courier.protocol.Delivery.size(topic, replyTo, headers,
                payloadLength);
    }

    /** Sends one PUB datagram; the caller checked its size against {@link #maxDatagram()}. */
    void publish(byte[] topic, byte[] replyTo, byte[] headers, byte[] payload) {
        ByteBuffer buffer = out.get();
        buffer.clear();
        Datagram.putPublishHead(buffer, token, seq.incrementAndGet());
        io.courier.protocol.Delivery.write(buffer, topic, replyTo, headers, payload);
        buffer.flip();
        try {
            channel.write(buffer);
            counters.sent.increment();
        } catch (IOException e) {
            // UDP is lossy by contract: a send the kernel refuses is a lost datagram, not a failed connection.
            counters.notSent.increment();
            log.debug("UDP publish not sent: {}", e.toString());
        }
    }

    void start() {
        Thread t = Dispatch.daemon("courier-udp-reader", false).newThread(this);
        t.start();
    }

    @Override
    public void run() {
        ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        byte[] data = in.array();
        Datagram reader = new Datagram();
        io.courier.protocol.Delivery delivery = new io.courier.protocol.Delivery();
        try {
            while (!closed) {
                in.clear();
                int n;
                try {
                    n = channel.read(in);
                } catch (java.net.PortUnreachableException e) {
                    continue; // an ICMP answer to an earlier send: the broker's port is closed for now
                }
                if (n <= 0) {
                    continue;
                }
                if (dropEvery > 0 && arrivals.incrementAndGet() % dropEvery == 0) {
                    continue;
                }
                if (reader.read(data, 0, n) != Datagram.Kind.MSG
                        || delivery.read(data, reader.deliveryFrom(), reader.deliveryTo())
                        != io.courier.protocol.Delivery.Layout.OK) {
                    log.debug("ignoring a malformed datagram from the broker: {}", reader.problem());
                    continue;
                }
                counters.received.increment();
                deliver(reader, delivery, data);
            }
        } catch (ClosedChannelException e) {
            // closed with its link
        } catch (IOException e) {
            if (!closed) {
                log.debug("UDP reader stopped: {}", e.toString());
            }
        }
    }

    private void deliver(Datagram reader, io.courier.protocol.Delivery delivery, byte[] data) {
        ClientSubscription subscription = subscriptions.get(reader.sid());
        if (subscription == null) {
            return;
        }
        long gap = subscription.udpGap(reader.seq());
        if (gap < 0) {
            counters.late.increment();
            return;
        }
        counters.gaps.add(gap);
        String topic = new String(data, delivery.topicOffset(), delivery.topicLength(), StandardCharsets.UTF_8);
        Message message = new Message(topic, delivery.replyTo(), delivery.headers(), delivery.payload(), gap, false);
        subscription.offerAndHandOver(message, subscriptions);
    }

    void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}
