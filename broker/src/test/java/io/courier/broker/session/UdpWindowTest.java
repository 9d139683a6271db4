package io.courier.broker.session;

import io.courier.broker.UdpStats;
import io.courier.broker.transport.udp.DatagramSender;
import io.courier.broker.transport.udp.UdpSocket;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A UDP subscription's window while the kernel refuses sends. On loopback Linux never refuses a UDP send (the packet
 * is handed to the receiver at once, and dropped there when its buffer is full), so no socket test reaches this
 * path: the kernel here is a stand-in whose send buffer is full until the test empties it.
 */
class UdpWindowTest {

    /** A send buffer that takes datagrams until it is "full", and records what it took. */
    private static final class Kernel implements DatagramSender {
        boolean full;
        final List<Integer> sentSeqs = new ArrayList<>();
        final List<UdpSocket.Pending> retries = new ArrayList<>();

        @Override
        public boolean trySend(ByteBuffer datagram, InetSocketAddress to) {
            if (full) {
                return false;
            }
            sentSeqs.add(datagram.getInt(datagram.position() + 5));
            datagram.position(datagram.limit());
            return true;
        }

        @Override
        public void retryLater(UdpSocket.Pending p) {
            retries.add(p);
        }
    }

    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);

    @Test
    void whileTheKernelRefusesOnlyTheNewestWindowWaitAndGoOutInOrderOnceItTakesThemAgain() {
        Kernel kernel = new Kernel();
        UdpStats stats = new UdpStats();
        UdpWindow window = new UdpWindow(7, 64, kernel, () -> CLIENT, stats);
        ByteString body = ByteString.fromString("position");

        window.send(body, CLIENT);
        assertThat(kernel.sentSeqs).containsExactly(1);

        kernel.full = true;
        for (int i = 0; i < 200; i++) {
            window.send(body, CLIENT);
        }
        assertThat(window.waiting()).isEqualTo(64);
        assertThat(stats.windowDrops()).isEqualTo(200 - 64);
        assertThat(kernel.retries).as("one retry asked for, however many wait").hasSize(1);
        assertThat(window.flush()).as("still full: nothing leaves").isFalse();
        assertThat(window.waiting()).isEqualTo(64);

        kernel.full = false;
        assertThat(window.flush()).isTrue();
        List<Integer> expected = new ArrayList<>();
        expected.add(1);
        for (int seq = 201 - 64 + 1; seq <= 201; seq++) {
            expected.add(seq);
        }
        // The receiver sees one gap (seqs 2..137 never sent), then the newest 64 in order.
        assertThat(kernel.sentSeqs).containsExactlyElementsOf(expected);
        assertThat(window.waiting()).isZero();

        window.send(body, CLIENT);
        assertThat(kernel.sentSeqs).endsWith(202);
        assertThat(kernel.retries).hasSize(1);
    }

    @Test
    void whatWaitsForAnEndpointThatWasUnboundMeanwhileIsDropped() {
        Kernel kernel = new Kernel();
        AtomicReference<InetSocketAddress> bound = new AtomicReference<>(CLIENT);
        UdpWindow window = new UdpWindow(1, 8, kernel, bound::get, new UdpStats());
        kernel.full = true;
        window.send(ByteString.fromString("a"), CLIENT);
        window.send(ByteString.fromString("b"), CLIENT);
        bound.set(null);
        kernel.full = false;
        assertThat(window.flush()).isTrue();
        assertThat(kernel.sentSeqs).isEmpty();
        assertThat(window.waiting()).isZero();
    }
}
