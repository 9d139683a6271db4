package io.courier.broker.session;

import io.courier.broker.BrokerStats;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A link whose bytes come through a Pekko Streams flow (a TLS link after its handshake): the session reads in a
 * {@link SessionSink}, the outbox is written through an {@link OutboxSource}.
 */
public interface StreamIncoming extends Incoming {

    /** Largest buffer handed to the stream at once: big enough to amortise a write, small enough to stay fair. */
    int MAX_WRITE_BATCH = 256 * 1024;

    /** Runs {@code flow} on the link: bytes the client sent in, bytes for the client out. */
    <M> M handleWith(Flow<ByteString, ByteString, M> flow, Materializer materializer);

    @Override
    default <E> Consumer<E> run(Intake<E> intake, Outbox outbox, BrokerStats stats, Duration maxPause,
                                LinkReader.Stopped stopped, Materializer materializer) {
        Sink<ByteString, Consumer<E>> inbound = Sink.fromGraph(new SessionSink<>(intake, stats, maxPause, stopped));
        Source<ByteString, NotUsed> outbound = Source.fromGraph(new OutboxSource(outbox, MAX_WRITE_BATCH));
        return handleWith(Flow.fromSinkAndSourceCoupledMat(inbound, outbound, Keep.left()), materializer);
    }

    /** A link Pekko's TCP accepted (a route over TLS): no client certificate is looked at. */
    static StreamIncoming of(Tcp.IncomingConnection connection) {
        return new StreamIncoming() {
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

    @Override
    default void refuse(ByteString frame, Materializer materializer) {
        handleWith(Flow.fromSinkAndSource(Sink.ignore(), Source.single(frame)), materializer);
    }
}
