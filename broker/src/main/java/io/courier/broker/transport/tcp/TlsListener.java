package io.courier.broker.transport.tcp;

import io.courier.broker.BrokerStats;
import io.courier.broker.session.ConnectionsSupervisor;
import io.courier.broker.session.StreamIncoming;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.AsPublisher;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLS;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The TLS client listener: binds its own port with Pekko Streams TCP, runs each accepted socket through Pekko
 * Streams TLS (JSSE), and hands the link to the connections supervisor only once the handshake has finished, with
 * the verified client certificate's subject. A handshake that fails (a plaintext client, no or an untrusted client
 * certificate, no common protocol), or does not finish within {@code courier.tls.handshake-timeout}, closes that
 * socket only; it is counted ({@link BrokerStats#tlsHandshakeFailures()}) and logged once with the peer's address.
 * At most {@code maxHandshaking} sockets may be in the TLS handshake at once; more are closed at once (and counted).
 *
 * <p>The plain listener ({@link TcpListener}) is not involved: its links run exactly as without TLS.
 */
public final class TlsListener {

    private static final Logger log = LoggerFactory.getLogger(TlsListener.class);
    /** Decrypted chunks buffered between the TLS stage and the connection: this demand lets the handshake run. */
    private static final int INBOUND_BUFFER = 4;

    private final ActorSystem<?> system;
    private final Materializer materializer;
    private final TlsEngines tls;
    private final BrokerStats stats;
    private final int maxHandshaking;
    private final Duration handshakeTimeout;
    private final ActorRef<ConnectionsSupervisor.Command> supervisor;
    private final AtomicInteger handshaking = new AtomicInteger();

    private TlsListener(ActorSystem<?> system, TlsEngines tls, BrokerStats stats, int maxHandshaking,
                        ActorRef<ConnectionsSupervisor.Command> supervisor) {
        this.system = system;
        this.materializer = Materializer.matFromSystem(system);
        this.tls = tls;
        this.stats = stats;
        this.maxHandshaking = maxHandshaking;
        this.handshakeTimeout = tls.settings().handshakeTimeout();
        this.supervisor = supervisor;
    }

    /** Binds {@code host:port}; the stage completes with the binding, or fails when the port cannot be bound. */
    public static CompletionStage<Tcp.ServerBinding> bind(ActorSystem<?> system, String host, int port, int backlog,
                                                          TlsEngines tls, BrokerStats stats, int maxHandshaking,
                                                          ActorRef<ConnectionsSupervisor.Command> supervisor) {
        TlsListener listener = new TlsListener(system, tls, stats, maxHandshaking, supervisor);
        return Tcp.get(system)
                .bind(host, port, backlog, List.of(), false, Optional.empty())
                .to(Sink.foreach(listener::accept))
                .run(listener.materializer);
    }

    private void accept(Tcp.IncomingConnection incoming) {
        InetSocketAddress remote = incoming.remoteAddress();
        if (handshaking.incrementAndGet() > maxHandshaking) {
            handshaking.decrementAndGet();
            stats.tlsHandshakeFailed();
            log.info("TLS connection from {} closed: {} connections are in the TLS handshake already", remote,
                    maxHandshaking);
            incoming.handleWith(Flow.fromSinkAndSource(Sink.cancelled(), Source.empty()), materializer);
            return;
        }
        AtomicBoolean settled = new AtomicBoolean();
        CompletableFuture<SSLSession> verified = new CompletableFuture<>();
        BidiFlow<TLSProtocol.SslTlsOutbound, ByteString, ByteString, TLSProtocol.SslTlsInbound, NotUsed> engine =
                TLS.create(tls::newEngine, session -> {
                    if (!settled.compareAndSet(false, true)) {
                        throw new IllegalStateException("TLS handshake finished after its timeout");
                    }
                    verified.complete(session);
                }, TLSClosing.eagerClose());
        // The plaintext ends are kept open (a publisher and a subscriber) until the connection runs its flow on
        // them; the inbound buffer's demand lets the handshake proceed meanwhile.
        Flow<TLSProtocol.SslTlsInbound, TLSProtocol.SslTlsOutbound, Ends> plaintext = Flow.fromSinkAndSourceMat(
                Flow.<TLSProtocol.SslTlsInbound>create()
                        .watchTermination(Keep.right())
                        .buffer(INBOUND_BUFFER, OverflowStrategy.backpressure())
                        .toMat(Sink.asPublisher(AsPublisher.WITHOUT_FANOUT), Keep.both()),
                // A stage of its own in front of the TLS stage: that stage starts only once both of its inputs are
                // subscribed to, and the connection subscribes to this end only after the handshake.
                Source.<TLSProtocol.SslTlsOutbound>asSubscriber().buffer(1, OverflowStrategy.backpressure()),
                (in, out) -> new Ends(in.first(), in.second(), out));
        Pair<UniqueKillSwitch, Ends> run = engine
                .atop(BidiFlow.fromGraph(KillSwitches.<ByteString, ByteString>singleBidi()), Keep.right())
                .join(incoming.flow())
                .joinMat(plaintext, Keep.both())
                .run(materializer);
        UniqueKillSwitch cut = run.first();
        Ends ends = run.second();
        Cancellable timeout = system.scheduler().scheduleOnce(handshakeTimeout, () -> {
            if (settled.compareAndSet(false, true)) {
                failed(remote, "no TLS handshake within " + handshakeTimeout.toMillis() + " ms");
                cut.abort(new TimeoutException("TLS handshake timed out"));
            }
        }, system.executionContext());
        ends.terminated().whenComplete((done, error) -> {
            if (settled.compareAndSet(false, true)) {
                timeout.cancel();
                failed(remote, error == null ? "closed during the TLS handshake" : describe(error));
            }
        });
        verified.thenAccept(session -> {
            timeout.cancel();
            handshaking.decrementAndGet();
            supervisor.tell(new ConnectionsSupervisor.Accept(new TlsIncoming(remote, principal(session),
                    ends.in(), ends.out())));
        });
    }

    private void failed(InetSocketAddress remote, String reason) {
        handshaking.decrementAndGet();
        stats.tlsHandshakeFailed();
        log.info("TLS connection from {} closed: {}", remote, reason);
    }

    private static String describe(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return "TLS handshake failed: " + (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
    }

    /** The plaintext ends of a TLS link's stream, and a stage that ends when the TLS stage does. */
    private record Ends(CompletionStage<Done> terminated, Publisher<TLSProtocol.SslTlsInbound> in,
                        Subscriber<TLSProtocol.SslTlsOutbound> out) { }

    /** A TLS link after its handshake: a connection's flow runs between its plaintext ends. */
    private record TlsIncoming(InetSocketAddress remoteAddress, Optional<String> tlsPrincipal,
                               Publisher<TLSProtocol.SslTlsInbound> in, Subscriber<TLSProtocol.SslTlsOutbound> out)
            implements StreamIncoming {

        @Override
        public <M> M handleWith(Flow<ByteString, ByteString, M> flow, Materializer materializer) {
            return Source.fromPublisher(in)
                    // SessionTruncated: the client closed its socket without a close_notify; the stream then ends.
                    .filter(chunk -> chunk instanceof TLSProtocol.SessionBytes)
                    .map(chunk -> ((TLSProtocol.SessionBytes) chunk).bytes())
                    .viaMat(flow, Keep.right())
                    .map(bytes -> (TLSProtocol.SslTlsOutbound) new TLSProtocol.SendBytes(bytes))
                    .toMat(Sink.fromSubscriber(out), Keep.left())
                    .run(materializer);
        }
    }

    /** The subject of the client's certificate, when it presented one (the handshake verified it). */
    static Optional<String> principal(SSLSession session) {
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length > 0 && chain[0] instanceof X509Certificate x509) {
                return Optional.of(x509.getSubjectX500Principal().getName(X500Principal.RFC2253));
            }
            return Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }
}
