package io.courier.broker;

import io.courier.protocol.Connect;
import io.courier.protocol.Connected;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.FrameCodec;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clients that hold the broker's resources without using them (silent sockets, frames trickled in byte by byte,
 * absurd heartbeat requests) are closed in bounded time and cannot lock real clients out.
 */
class HostileClientsTest extends OneBrokerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);


    @Test
    void silentSocketsCannotTakeTheSlotsOfRealClients() throws Exception {
        // Before: 200 sockets that never sent CONNECT filled max-connections = 200 and a real client got
        // TOO_MANY_CONNECTIONS for the whole connect timeout.
        start("""
                courier.limits.max-connections = 5
                courier.limits.max-handshaking = 4
                courier.connect-timeout = 30s
                """);
        List<RawClient> silent = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                silent.add(new RawClient(broker.address()));
            }
            try (RawClient real = RawClient.connected(broker.address(), "real")) {
                real.flush(WAIT);
            }
            int evicted = 0;
            for (RawClient s : silent) {
                Err err = s.firstOf(Err.class, Duration.ofMillis(200));
                if (err != null) {
                    assertThat(err.code()).isEqualTo(ErrorCode.TOO_MANY_CONNECTIONS);
                    assertThat(err.reason()).contains("handshake");
                    evicted++;
                }
            }
            assertThat(evicted).as("the oldest silent ones made room for newer connections").isGreaterThanOrEqualTo(6);
            assertThat(broker.stats().handshakeEvictions()).isGreaterThanOrEqualTo(6);
        } finally {
            for (RawClient s : silent) {
                s.close();
            }
        }
    }

    @Test
    void aClientWithAsManyHandshakesInFlightAsAllowedIsNeverTakenForOneWithTooMany() throws Exception {
        // Before: the supervisor learnt that a handshake had finished only from a message sent after CONNECTED, so a
        // client opening its next connection as soon as CONNECTED arrived (as a reconnect storm's clients behind one
        // address do) was counted with one handshake too many, and its oldest connection in the handshake was closed
        // with TOO_MANY_CONNECTIONS (seen in the handshake benchmark: 100 in flight against the default of 100).
        int threads = 4;
        start("""
                courier.limits.max-handshaking-per-address = %d
                courier.limits.max-handshaking = %d
                """.formatted(threads, threads));
        List<Thread> clients = new ArrayList<>();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            int index = t;
            Thread client = new Thread(() -> {
                try {
                    for (int i = 0; i < 400 && failures.isEmpty(); i++) {
                        RawClient.connected(broker.address(), "client-" + index + "-" + i).close();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "client-" + index);
            client.start();
            clients.add(client);
        }
        for (Thread client : clients) {
            client.join(WAIT.toMillis() * 6);
        }
        assertThat(failures).as("every handshake got CONNECTED").isEmpty();
        assertThat(broker.stats().handshakeEvictions()).isZero();
    }

    @Test
    void aHerdFromOneAddressThatIsSlowToSendConnectIsNotEvictedForItsOwnNextSockets() throws Exception {
        // Before: a kill -9 recovery run (5,000 clients of one load generator moving to two survivors) had 768 and
        // 1,467 of its handshakes closed with TOO_MANY_CONNECTIONS: more than max-handshaking-per-address sockets of
        // the herd were open before their threads had written CONNECT, and each newer one evicted an older one
        // that had waited a few hundred milliseconds, only for it to reconnect.
        start("""
                courier.limits.max-handshaking-per-address = 4
                courier.limits.max-handshaking = 100
                courier.connect-timeout = 30s
                """);
        List<RawClient> herd = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                herd.add(new RawClient(broker.address()));
            }
            await().atMost(WAIT).until(() -> broker.stats().accepted() == 16);
            Thread.sleep(300);
            for (RawClient c : herd) {
                c.send(new Connect(FrameCodec.VERSION, "herd", "test", "", "", 0, false));
            }
            for (RawClient c : herd) {
                assertThat(c.next(WAIT)).isInstanceOf(Connected.class);
            }
            assertThat(broker.stats().handshakeEvictions()).isZero();
        } finally {
            for (RawClient c : herd) {
                c.close();
            }
        }
    }

    @Test
    void establishedClientsCountAgainstMaxConnectionsAndTheNextOneIsRefusedAtConnect() throws Exception {
        start("courier.limits.max-connections = 3");
        List<RawClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                clients.add(RawClient.connected(broker.address(), "c" + i));
            }
            await().atMost(WAIT).until(() -> broker.capacity().connections().used() == 3);
            try (RawClient extra = new RawClient(broker.address())) {
                Err err = extra.firstOf(Err.class, WAIT);
                assertThat(err).isNotNull();
                assertThat(err.code()).isEqualTo(ErrorCode.TOO_MANY_CONNECTIONS);
            }
            clients.remove(0).close();
            await().atMost(WAIT).until(() -> broker.capacity().connections().used() == 2);
            try (RawClient again = RawClient.connected(broker.address(), "again")) {
                again.flush(WAIT);
            }
        } finally {
            for (RawClient c : clients) {
                c.close();
            }
        }
    }

    @Test
    void aFrameTrickledInIsNoSignOfLifeAndIsCutAtTheFrameDeadline() throws Exception {
        // Before: one byte every 2 s of a frame never finished kept 50 such clients open indefinitely.
        assertTricklerIsClosed("""
                courier.heartbeat.interval = 200ms
                courier.limits.frame-timeout = 60s
                """, "closed as stale: its bytes were no sign of life");
        brokers.stopAll();
        assertTricklerIsClosed("""
                courier.heartbeat.interval = 60s
                courier.limits.frame-timeout = 600ms
                """, "closed at the frame deadline");
        assertThat(broker.stats().frameTimeouts()).isEqualTo(1);
    }

    private void assertTricklerIsClosed(String config, String why) throws Exception {
        start(config);
        try (RawClient trickler = RawClient.connected(broker.address(), "trickler")) {
            trickleUntilClosed(trickler);
            assertThat(trickler.closedByPeer()).as(why).isTrue();
        }
    }

    /** Sends a PUB's first bytes, then one more byte every 100 ms, for at most 10 s or until the broker closes. */
    private static void trickleUntilClosed(RawClient client) throws Exception {
        byte[] head = ByteBuffer.allocate(5).putInt(100_000).put((byte) 0x03).array();   // never finished here
        client.sendRaw(head);
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end && !client.closedByPeer()) {
            try {
                client.sendRaw(new byte[] {0});
            } catch (java.io.IOException e) {
                break;
            }
            client.firstOf(Err.class, Duration.ofMillis(100));
        }
        client.awaitClosedByPeer(Duration.ofSeconds(2));
    }

    @Test
    void aHeartbeatRequestAboveTheCeilingIsLoweredToIt() throws Exception {
        start("courier.heartbeat.max-interval = 45s");
        try (RawClient c = new RawClient(broker.address())) {
            c.send(new Connect(FrameCodec.VERSION, "lazy", "test", "", "", Integer.MAX_VALUE, false));
            Connected connected = c.nextOf(Connected.class, WAIT);
            assertThat(connected.heartbeatMillis()).isEqualTo(45_000);
        }
    }
}
