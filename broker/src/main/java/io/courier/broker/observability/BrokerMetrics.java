package io.courier.broker.observability;

import io.courier.broker.BrokerStats;
import io.courier.broker.UdpStats;
import io.courier.broker.cluster.ClusterStatus;
import io.courier.protocol.ErrorCode;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.Optional;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * {@code /metrics}: the broker's counters in the Prometheus text format, through Micrometer's Prometheus registry.
 * Every meter reads a counter the broker keeps anyway ({@link BrokerStats}, {@link UdpStats}, the link registry)
 * when it is scraped; none is incremented per message. Counters count since start (Prometheus derives rates with
 * {@code rate()}); gauges read the state now.
 */
public final class BrokerMetrics implements AutoCloseable {

    /** What the meters read besides the counters. Called on the scraping thread. */
    public interface Sources {
        int subscriptions();

        /** Bytes the broker-wide budget of queued messages holds now. */
        long queuedBytes();

        /** The cluster now, or empty for a broker that runs alone. */
        Optional<ClusterStatus> cluster();
    }

    private static final String[] MEMBER_STATES = {"joining", "weakly-up", "up", "leaving", "exiting", "down"};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();

    public BrokerMetrics(BrokerStats stats, Sources sources) {
        MeterRegistry r = registry;
        gauge(r, "courier.connections", "client links open now (handshaking ones included)", stats,
                s -> s.links().size());
        gauge(r, "courier.subscriptions", "subscriptions routed to, other brokers' interest included", sources,
                Sources::subscriptions);
        counter(r, "courier.connections.accepted", "client links accepted", stats, BrokerStats::accepted);
        counter(r, "courier.connections.refused", "links refused at accept (max connections, shutting down)",
                stats, BrokerStats::refused);
        counter(r, "courier.connections.failed", "links whose handling failed unexpectedly", stats,
                BrokerStats::failed);
        counter(r, "courier.messages.in", "PUBs accepted (TCP and UDP)", stats, BrokerStats::messagesIn);
        counter(r, "courier.messages.out", "MSG frames written to subscribers' TCP sockets", stats,
                BrokerStats::messagesOut);
        FunctionCounter.builder("courier.received", stats, BrokerStats::bytesIn).baseUnit(BaseUnits.BYTES)
                .description("bytes read from client TCP sockets").register(r);
        FunctionCounter.builder("courier.sent", stats, BrokerStats::bytesOut).baseUnit(BaseUnits.BYTES)
                .description("bytes written to client TCP sockets").register(r);
        counter(r, "courier.slow.consumer.disconnects", "links cut by the disconnect slow-consumer policy", stats,
                BrokerStats::slowConsumers);
        counter(r, "courier.slow.consumer.drops", "messages dropped by the drop slow-consumer policy", stats,
                BrokerStats::dropped);
        counter(r, "courier.slow.consumer.discarded", "queued messages discarded with a cut link", stats,
                BrokerStats::discardedOnCut);
        counter(r, "courier.publisher.pauses", "times a publisher was paused by full subscriber queues", stats,
                BrokerStats::publisherPauses);
        counter(r, "courier.protocol.errors", "links closed for breaking the protocol", stats,
                BrokerStats::protocolErrors);
        counter(r, "courier.heartbeat.timeouts", "links closed because PINGs went unanswered (ERR STALE_CONNECTION)",
                stats, s -> s.errorsSent(ErrorCode.STALE_CONNECTION));
        counter(r, "courier.auth.failures", "logins refused, and connections whose credentials a reload withdrew "
                + "(ERR AUTHENTICATION_FAILED)", stats, BrokerStats::authFailures);
        counter(r, "courier.permission.denials", "PUBs, SUBs and reply topics a user's permissions refused, and "
                + "subscriptions a reload withdrew (ERR PERMISSION_DENIED)", stats, BrokerStats::permissionDenials);
        counter(r, "courier.rate.limited", "times a publisher over courier.limits.max-publish-rate was slowed (TCP) "
                + "or had a datagram dropped (UDP)", stats, BrokerStats::rateLimited);
        counter(r, "courier.connections.address.refused", "connections refused because their address had "
                + "courier.limits.max-connections-per-address", stats, BrokerStats::addressRefusals);
        counter(r, "courier.tls.handshake.failures", "TLS handshakes that failed or timed out", stats,
                BrokerStats::tlsHandshakeFailures);
        for (ErrorCode code : ErrorCode.values()) {
            FunctionCounter.builder("courier.errors.sent", stats, s -> s.errorsSent(code))
                    .tag("code", code.name()).description("ERR frames sent to clients, by code").register(r);
        }
        gauge(r, "courier.outbound.pending.bytes", "bytes queued for all links and not yet written", stats,
                s -> s.links().pendingBytes());
        gauge(r, "courier.outbound.pending.max.bytes", "the longest outbound queue now, in bytes", stats,
                s -> s.links().maxPendingBytes());
        gauge(r, "courier.queued.budget.bytes", "bytes held in the broker-wide budget of queued messages",
                sources, Sources::queuedBytes);
        counter(r, "courier.cluster.forwards.out", "publishes forwarded to other brokers (one per broker)", stats,
                BrokerStats::routedOut);
        counter(r, "courier.cluster.forwards.in", "publishes other brokers forwarded here", stats,
                BrokerStats::routedIn);
        counter(r, "courier.cluster.forward.drops", "publishes that could not be forwarded", stats,
                BrokerStats::routeDrops);
        counter(r, "courier.cluster.interest.resyncs", "times this broker asked another for all its interest again "
                + "after a gap in its changes", stats, BrokerStats::interestResyncs);
        counter(r, "courier.cluster.interest.batches.route", "batches of other brokers' interest changes received "
                + "on their route links", stats, BrokerStats::interestViaRoute);
        counter(r, "courier.cluster.interest.batches.artery", "batches of other brokers' interest changes received "
                + "over Artery (a snapshot's first batch, or their route down)", stats, BrokerStats::interestViaArtery);
        udp(r, stats.udp());
        cluster(r, sources::cluster);
        new JvmMemoryMetrics().bindTo(r);
        gc.bindTo(r);
        new JvmThreadMetrics().bindTo(r);
        new ClassLoaderMetrics().bindTo(r);
        new ProcessorMetrics().bindTo(r);
        new UptimeMetrics().bindTo(r);
    }

    /** The Prometheus text exposition (format 0.0.4) of every meter, read now. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }

    private static void udp(MeterRegistry r, UdpStats u) {
        counter(r, "courier.udp.datagrams.in", "datagrams received", u, UdpStats::datagramsIn);
        counter(r, "courier.udp.datagrams.out", "datagrams the kernel took for sending", u, UdpStats::datagramsOut);
        counter(r, "courier.udp.malformed", "datagrams dropped as malformed", u, UdpStats::malformed);
        counter(r, "courier.udp.oversized", "datagrams dropped as larger than max-datagram", u, UdpStats::oversized);
        counter(r, "courier.udp.unknown.token", "datagrams naming no open session", u, UdpStats::unknownToken);
        counter(r, "courier.udp.refused.publishes", "UDP publishes refused (topic, payload size)", u,
                UdpStats::refusedPublishes);
        counter(r, "courier.udp.sender.gaps", "UDP publishes lost on the way in (sequence gaps)", u,
                UdpStats::senderGaps);
        counter(r, "courier.udp.inbound.drops", "datagrams dropped because their endpoint had a backlog", u,
                UdpStats::inboundDrops);
        counter(r, "courier.udp.window.drops", "datagrams dropped from a full send window", u, UdpStats::windowDrops);
        counter(r, "courier.udp.send.errors", "sends that failed with an I/O error", u, UdpStats::sendErrors);
    }

    private static void cluster(MeterRegistry r, Supplier<Optional<ClusterStatus>> cluster) {
        for (String state : MEMBER_STATES) {
            Gauge.builder("courier.cluster.members", cluster, c -> c.get()
                            .map(s -> s.members().stream().filter(m -> m.status().equals(state)).count())
                            .orElse(0L))
                    .tag("status", state).description("cluster members as this broker sees them, by status")
                    .strongReference(true).register(r);
        }
        gauge(r, "courier.cluster.unreachable.members", "members this broker's failure detector does not reach",
                cluster, c -> c.get().map(s -> s.members().stream().filter(m -> !m.reachable()).count()).orElse(0L));
        gauge(r, "courier.cluster.routed.members", "other members whose route link from here is up", cluster,
                c -> c.get().map(s -> s.members().stream().filter(m -> !m.self() && m.routed()).count()).orElse(0L));
    }

    private static <T> void counter(MeterRegistry r, String name, String help, T source, ToLongFunction<T> f) {
        FunctionCounter.builder(name, source, s -> f.applyAsLong(s)).description(help).register(r);
    }

    private static <T> void gauge(MeterRegistry r, String name, String help, T source, ToDoubleFunction<T> f) {
        Gauge.builder(name, source, f).description(help).strongReference(true).register(r);
    }
}
