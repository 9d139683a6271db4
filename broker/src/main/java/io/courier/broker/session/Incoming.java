package io.courier.broker.session;

import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * A client link a listener accepted, as a {@link Connection} runs it: where it comes from, the verified identity its
 * transport carries, and how to run the link's byte flow on it. A plain TCP link is Pekko's own
 * {@link Tcp.IncomingConnection}, unchanged; a TLS link ({@code transport.tcp.TlsListener}) has finished its
 * handshake before it gets here.
 */
public interface Incoming {

    InetSocketAddress remoteAddress();

    /**
     * The subject of the client certificate the TLS handshake verified, as an RFC 2253 distinguished name
     * ({@code CN=alice,O=Example}); empty for plain TCP, and for TLS without a client certificate.
     */
    Optional<String> tlsPrincipal();

    /** Runs {@code flow} on the link: bytes the client sent in, bytes for the client out. */
    <M> M handleWith(Flow<ByteString, ByteString, M> flow, Materializer materializer);

    /** A plain TCP link. */
    static Incoming plain(Tcp.IncomingConnection connection) {
        return new Incoming() {
            @Override
            public InetSocketAddress remoteAddress() {
                return connection.remoteAddress();
            }

            @Override
            public Optional<String> tlsPrincipal() {
                return Optional.empty();
            }

            @Override
            public <M> M handleWith(Flow<ByteString, ByteString, M> flow, Materializer materializer) {
                return connection.handleWith(flow, materializer);
            }
        };
    }
}
