package io.courier.broker.session;

import io.courier.broker.BrokerStats;
import io.courier.broker.transport.tcp.IoLoops;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** A plain link on an I/O loop, over a real loopback socket, when what it runs fails. */
class ChannelLinkTest {

    private final IoLoops loops = new IoLoops(1, 64 * 1024);

    @AfterEach
    void close() {
        loops.close();
    }

    @Test
    void aLinkWhoseStartFailsEndsAndClosesItsSocket() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(10_000);
            ChannelLink link = ChannelLink.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    server.getLocalPort()), loops.next(), Duration.ofSeconds(10)).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            try (Socket far = server.accept()) {
                far.setSoTimeout(10_000);
                Outbox outbox = new Outbox(Outbox.Limits.route(1 << 20), new BrokerStats(),
                        new Budget("queued", 1 << 20), new AtomicBoolean(), reason -> { });
                CompletableFuture<Throwable> stopped = new CompletableFuture<>();
                link.run(new FailingOnAttach(), outbox, new BrokerStats(), Duration.ZERO,
                        failure -> stopped.complete(failure), null);
                stopped.get(10, TimeUnit.SECONDS);
                assertThat(endOfStream(far.getInputStream())).as("the socket is closed").isTrue();
            }
        }
    }

    private static boolean endOfStream(InputStream in) {
        try {
            return in.read() < 0;
        } catch (IOException reset) {
            return true;
        }
    }

    /** An intake that fails as the link starts: a fault in the link's own code, not in the session's. */
    private static final class FailingOnAttach extends Intake.Ignoring<Object> {
        @Override
        public void attach(Consumer<Object> events) {
            throw new IllegalStateException("test: start failed");
        }
    }
}
