package io.courier.broker.session;

import io.courier.broker.BrokerStats;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.ByteString;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A client link a listener accepted, as a {@link Connection} runs it: where it comes from, the verified identity its
 * transport carries, and how to run the link's session and outbox on it. A plain TCP link is a {@link ChannelLink}
 * on one of the broker's I/O loops; a TLS link ({@code transport.tcp.TlsListener}) is a {@link StreamIncoming} that
 * has finished its handshake before it gets here.
 */
public interface Incoming {

    InetSocketAddress remoteAddress();

    /**
     * The subject of the client certificate the TLS handshake verified, as an RFC 2253 distinguished name
     * ({@code CN=alice,O=Example}); empty for plain TCP, and for TLS without a client certificate.
     */
    Optional<String> tlsPrincipal();

    /**
     * Runs the link: {@code intake} reads what the client sends (paced by a {@link LinkReader}), {@code outbox} is
     * written to it; {@code stopped} is told once the link has stopped. Returns the function that posts the intake's
     * events onto the link's thread.
     */
    <E> Consumer<E> run(Intake<E> intake, Outbox outbox, BrokerStats stats, Duration maxPause,
                        LinkReader.Stopped stopped, Materializer materializer);

    /** Writes {@code frame} (an ERR saying why) and closes the link, reading nothing from it. */
    void refuse(ByteString frame, Materializer materializer);
}
