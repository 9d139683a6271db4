package io.courier.broker;

import io.courier.protocol.Connect;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.Publish;
import io.courier.protocol.Subscribe;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What clients send cannot make a broker with a small heap ({@code -Xmx256m}, in a process of its own) run out of
 * memory. Each test reproduces a traffic pattern that did, and then checks that the broker still serves a new
 * client and never logged an OutOfMemoryError.
 */
class MemoryBoundTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String SMALL_HEAP = "-Xmx256m";
    private static final String CLOSED_WITHOUT_ERR = "closed without ERR";
    private static final String STILL_OPEN = "still open";

    @Test
    void aQueuedMessageDoesNotKeepTheWholeSocketReadItArrivedInAlive() throws Exception {
        // Before the fix each 1 KiB message queued for the stalled subscriber kept its ~61 KB read alive: the broker
        // died after about 7,000 such writes with 7 MB charged.
        try (BrokerProcess broker = BrokerProcess.start("", SMALL_HEAP);
             Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(4096);
            stalled.connect(broker.address(), 5000);
            OutputStream out = stalled.getOutputStream();
            out.write(FrameCodec.encode(new Connect(FrameCodec.VERSION, "stalled", "test", "", "", 0, false)));
            out.write(FrameCodec.encode(new Subscribe(1, "pin.x", "")));
            out.flush();
            try (RawClient publisher = RawClient.connected(broker.address(), "publisher")) {
                publisher.flush(WAIT);
                byte[] small = FrameCodec.encode(new Publish("pin.x", new byte[1024]));
                byte[] large = FrameCodec.encode(new Publish("other.y", new byte[60_000]));
                byte[] write = ByteBuffer.allocate(small.length + large.length).put(small).put(large).array();
                for (int i = 0; i < 12_000 && broker.isAlive(); i++) {
                    publisher.sendRaw(write);
                }
                publisher.flush(WAIT);
            }
            assertServesNewClients(broker);
        }
    }

    @Test
    void strangersSendingHugeFramesBeforeConnectAreRefusedBeforeTheyAreBuffered() throws Exception {
        // 300 sockets each sending the first 1,000,000 bytes of a PUB and holding: before the fix, 300 MB buffered,
        // OutOfMemoryError, no handshakes for 25 s, exit code 255.
        try (BrokerProcess broker = BrokerProcess.start("", SMALL_HEAP)) {
            Map<String, Integer> answers = sendPartialFrames(broker.address(), 300, false);
            assertThat(answers).as("every one is refused at its frame's length and closed")
                    .containsKey(ErrorCode.FRAME_TOO_LARGE.name());
            // Accepted faster than they are refused, more than max-handshaking-per-address (100) of them may be in
            // their handshake at once: the oldest are then evicted, refused before their frame is buffered too.
            assertThat(answers.keySet()).isSubsetOf(ErrorCode.FRAME_TOO_LARGE.name(),
                    ErrorCode.TOO_MANY_CONNECTIONS.name(), CLOSED_WITHOUT_ERR);
            assertServesNewClients(broker);
        }
    }

    @Test
    void unfinishedFramesOfConnectedClientsAreHeldOnlyUpToTheBrokerWideBudget() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start("courier.limits.max-handshaking-per-address = 1000",
                SMALL_HEAP)) {
            Map<String, Integer> answers = sendPartialFrames(broker.address(), 300, true);
            assertThat(answers.getOrDefault(STILL_OPEN, 0))
                    .as("the budget (an eighth of 256 MiB) holds a few dozen of the 300 megabyte frames: %s", answers)
                    .isBetween(10, 60);
            assertThat(answers).as("the others are refused").containsKey(ErrorCode.MEMORY_LIMIT.name());
            assertThat(answers.keySet()).isSubsetOf(ErrorCode.MEMORY_LIMIT.name(), CLOSED_WITHOUT_ERR, STILL_OPEN);
            assertServesNewClients(broker);
        }
    }

    /**
     * {@code count} sockets each send the first 1,000,000 bytes of a PUB frame whose length says 1,048,600 (after
     * CONNECT if {@code connectFirst}), then hold the socket open; returns the ERR codes they got, by code.
     */
    private static Map<String, Integer> sendPartialFrames(InetSocketAddress address, int count,
                                                             boolean connectFirst) throws Exception {
        byte[] head = ByteBuffer.allocate(5).putInt(1_048_600).put((byte) 0x03).array();
        byte[] filler = new byte[1_000_000 - head.length];
        List<RawClient> clients = new ArrayList<>();
        Map<String, Integer> answers = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> sends = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                RawClient c = connectFirst ? RawClient.connected(address, "partial-" + i) : new RawClient(address);
                clients.add(c);
                sends.add(pool.submit(() -> {
                    try {
                        c.sendRaw(head);
                        c.sendRaw(filler);
                    } catch (IOException e) {
                        // The broker refused the frame and closed the socket while it was being written.
                    }
                    return null;
                }));
            }
            for (Future<?> f : sends) {
                f.get(60, TimeUnit.SECONDS);
            }
            // Before CONNECT every socket must be answered: give the broker until a deadline (a loaded machine may
            // be slow to close 300 sockets), not 300 ms each. After CONNECT some are held by design.
            long deadline = System.nanoTime() + WAIT.toNanos();
            for (RawClient c : clients) {
                Duration wait = connectFirst ? Duration.ofMillis(300)
                        : Duration.ofNanos(Math.max(300_000_000L, deadline - System.nanoTime()));
                Err err = c.firstOf(Err.class, wait);
                if (err != null) {
                    answers.merge(err.code().name(), 1, Integer::sum);
                } else {
                    // Closing a socket with unread input resets it, and a reset can overtake the ERR.
                    answers.merge(c.closedByPeer() ? CLOSED_WITHOUT_ERR : STILL_OPEN, 1, Integer::sum);
                }
            }
        } finally {
            pool.shutdownNow();
            for (RawClient c : clients) {
                c.close();
            }
        }
        return answers;
    }

    @Test
    void aUdpFloodHoldsNoMoreThanTheWaitingBudgetAndOthersAreStillServed() throws Exception {
        // 100 bound endpoints send 1,300-byte datagrams as fast as 4 threads can for 4 s, at a broker whose
        // endpoint actors may hold 64 KiB of them in all: what does not fit is dropped and counted, never queued.
        long budget = 64 * 1024;
        try (BrokerProcess broker = BrokerProcess.start("courier.udp.max-waiting-total = 64 KiB", SMALL_HEAP)) {
            InetSocketAddress udpPort = udpAddress(broker);
            List<RawClient> sessions = new ArrayList<>();
            List<java.nio.channels.DatagramChannel> sockets = new ArrayList<>();
            List<byte[]> tokens = new ArrayList<>();
            try {
                for (int i = 0; i < 100; i++) {
                    RawClient raw = RawClient.connected(broker.address(), "flood-" + i);
                    sessions.add(raw);
                    java.nio.channels.DatagramChannel socket = UdpTest.localSocket();
                    sockets.add(socket);
                    tokens.add(UdpTest.bind(raw, socket, udpPort).token());
                    raw.nextOf(io.courier.protocol.UdpBound.class, WAIT);
                }
                String payload = "f".repeat(1_300 - 64);
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
                ExecutorService pool = Executors.newFixedThreadPool(4);
                List<Future<?>> floods = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int first = t * 25;
                    floods.add(pool.submit(() -> {
                        int seq = 0;
                        while (System.nanoTime() < end) {
                            seq++;
                            for (int i = first; i < first + 25; i++) {
                                sockets.get(i).send(UdpTest.publish(tokens.get(i), seq, "flood.x", payload), udpPort);
                            }
                        }
                        return null;
                    }));
                }
                long mostWaiting = 0;
                while (System.nanoTime() < end) {
                    Map<String, String> r = broker.resources();
                    mostWaiting = Math.max(mostWaiting, Long.parseLong(r.get("udp-waiting")));
                    Thread.sleep(200);
                }
                for (Future<?> f : floods) {
                    f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                }
                pool.shutdown();
                assertThat(mostWaiting).as("bytes waiting for endpoint actors").isLessThanOrEqualTo(budget);
                Map<String, String> after = broker.resources();
                assertThat(Long.parseLong(after.get("udp-inbound-drops"))).as("the budget turned datagrams away")
                        .isPositive();
                assertServesNewClients(broker);
                // Once the flood is over, everything that waited has been routed and its bytes given back.
                org.awaitility.Awaitility.await().atMost(WAIT)
                        .until(() -> "0".equals(broker.resources().get("udp-waiting")));
            } finally {
                for (RawClient raw : sessions) {
                    raw.close();
                }
                for (java.nio.channels.DatagramChannel socket : sockets) {
                    socket.close();
                }
            }
        }
    }

    /** The broker's UDP address, as UDP_READY tells it (with an ephemeral TCP port the UDP port is another one). */
    private static InetSocketAddress udpAddress(BrokerProcess broker) throws Exception {
        try (RawClient raw = RawClient.connected(broker.address(), "udp-port")) {
            raw.send(io.courier.protocol.UdpOpen.INSTANCE);
            return new InetSocketAddress("127.0.0.1", raw.nextOf(io.courier.protocol.UdpReady.class, WAIT).port());
        }
    }

    private static void assertServesNewClients(BrokerProcess broker) throws Exception {
        assertThat(broker.isAlive()).as("broker alive; its output:\n%s", broker.output()).isTrue();
        try (RawClient fresh = RawClient.connected(broker.address(), "fresh")) {
            fresh.flush(WAIT);
        }
        assertThat(broker.output()).doesNotContain("OutOfMemoryError");
    }
}
