package io.courier.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.client.Connection;
import io.courier.client.Message;
import io.courier.protocol.Connect;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.Publish;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The admin port's metrics, listings, log levels and dashboard, and the $SYS events, against a real broker. */
class ObservabilityTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN = "courier.admin { enabled = true, port = 0 }\n";

    @RegisterExtension
    final Brokers brokers = new Brokers();

    private static int port(Broker broker) {
        return broker.adminAddress().orElseThrow().getPort();
    }

    /** The value of the sample {@code name} (with its labels, if any, as written) in a Prometheus scrape. */
    static double sample(String scrape, String nameAndLabels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(nameAndLabels) + " (\\S+)$").matcher(scrape);
        assertThat(m.find()).as("%s in the scrape", nameAndLabels).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void metricsCountTrafficErrorsAndQueuesInThePrometheusFormat() throws Exception {
        Broker broker = brokers.start(ADMIN);
        int admin = port(broker);
        Connection sub = brokers.client(broker, "sub");
        AtomicInteger received = new AtomicInteger();
        sub.subscribe("m.>", m -> received.incrementAndGet());
        sub.flush(WAIT);
        Connection pub = brokers.client(broker, "pub");
        for (int i = 0; i < 25; i++) {
            pub.publish("m.x", new byte[100]);
        }
        pub.flush(WAIT);
        await().atMost(WAIT).until(() -> received.get() == 25);
        try (RawClient raw = RawClient.connected(broker.address(), "bad")) {
            raw.send(new Publish("bad topic", "", Map.of(), new byte[0]));
            Frame f = raw.next(WAIT);
            assertThat(f).isInstanceOf(Err.class);
            assertThat(((Err) f).code()).isEqualTo(ErrorCode.INVALID_TOPIC);
        }
        await().atMost(WAIT).until(() -> broker.stats().messagesOut() == 25);

        Admin.Reply r = Admin.get(admin, "/metrics");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.contentType()).startsWith("text/plain; version=0.0.4");
        String m = r.body();
        assertThat(sample(m, "courier_messages_in_total")).isEqualTo(25);
        assertThat(sample(m, "courier_messages_out_total")).isEqualTo(25);
        assertThat(sample(m, "courier_subscriptions")).isEqualTo(1);
        assertThat(sample(m, "courier_connections_accepted_total")).isEqualTo(3);
        assertThat(sample(m, "courier_errors_sent_total{code=\"INVALID_TOPIC\"}")).isEqualTo(1);
        assertThat(sample(m, "courier_errors_sent_total{code=\"AUTHENTICATION_FAILED\"}")).isZero();
        assertThat(sample(m, "courier_auth_failures_total")).isZero();
        assertThat(sample(m, "courier_received_bytes_total")).isGreaterThan(25 * 100);
        assertThat(sample(m, "courier_sent_bytes_total")).isGreaterThan(25 * 100);
        assertThat(sample(m, "courier_outbound_pending_bytes")).isGreaterThanOrEqualTo(0);
        assertThat(sample(m, "courier_cluster_members{status=\"up\"}")).isZero();
        assertThat(m).contains("jvm_memory_used_bytes{", "jvm_gc_", "courier_udp_datagrams_in_total",
                "courier_cluster_forwards_out_total", "courier_slow_consumer_drops_total",
                "courier_heartbeat_timeouts_total");
        assertThat(broker.stats().bytesIn()).isEqualTo((long) sample(m, "courier_received_bytes_total"));
    }

    @Test
    void heartbeatTimeoutsAreCountedByTheirErrCode() throws Exception {
        Broker broker = brokers.start(ADMIN + "courier.heartbeat { min-interval = 50ms, max-missed = 1 }");
        try (RawClient c = new RawClient(broker.address())) {
            c.send(new Connect(FrameCodec.VERSION, "silent", "test", "", "", 50, false));
            Frame f;
            do {
                f = c.next(WAIT);
            } while (!(f instanceof Err));
            assertThat(((Err) f).code()).isEqualTo(ErrorCode.STALE_CONNECTION);
        }
        String m = Admin.get(port(broker), "/metrics").body();
        assertThat(sample(m, "courier_heartbeat_timeouts_total")).isEqualTo(1);
        assertThat(sample(m, "courier_errors_sent_total{code=\"STALE_CONNECTION\"}")).isEqualTo(1);
    }

    @Test
    void connectionsAreListedWithTheirCountersAndPaged() throws Exception {
        Broker broker = brokers.start(ADMIN);
        int admin = port(broker);
        Connection a = brokers.client(broker, "alpha");
        AtomicInteger got = new AtomicInteger();
        a.subscribe("t.*", m -> got.incrementAndGet());
        a.subscribe("u", m -> { });
        a.flush(WAIT);
        Connection b = brokers.client(broker, "beta");
        for (int i = 0; i < 7; i++) {
            b.publish("t.1", new byte[10]);
        }
        b.flush(WAIT);
        await().atMost(WAIT).until(() -> got.get() == 7);
        brokers.client(broker, "gamma").flush(WAIT);

        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode page = Admin.get(admin, "/api/connections").json();
            assertThat(page.get("total").asInt()).isEqualTo(3);
            JsonNode alpha = byName(page, "alpha");
            JsonNode beta = byName(page, "beta");
            assertThat(alpha.get("subscriptions").asInt()).isEqualTo(2);
            assertThat(alpha.get("messagesOut").asLong()).isEqualTo(7);
            assertThat(alpha.get("transport").asText()).isEqualTo("tcp");
            assertThat(alpha.get("connected").asBoolean()).isTrue();
            assertThat(alpha.get("remote").asText()).startsWith("127.0.0.1:");
            assertThat(beta.get("messagesIn").asLong()).isEqualTo(7);
            assertThat(beta.get("bytesIn").asLong()).isGreaterThan(70);
            assertThat(beta.get("pendingBytes").asLong()).isZero();
            assertThat(beta.get("idleMillis").asLong()).isGreaterThanOrEqualTo(0);
        });
        JsonNode second = Admin.get(admin, "/api/connections?offset=1&limit=1").json();
        assertThat(second.get("total").asInt()).isEqualTo(3);
        assertThat(second.get("connections")).hasSize(1);
        assertThat(second.get("connections").get(0).get("name").asText()).isEqualTo("beta");
        Admin.Reply bad = Admin.get(admin, "/api/connections?limit=zero");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body()).contains("limit");
    }

    private static JsonNode byName(JsonNode page, String name) {
        for (JsonNode c : page.get("connections")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no connection named " + name + " in " + page);
    }

    @Test
    void subscriptionsAreCountedPerPatternAndQueueGroup() throws Exception {
        Broker broker = brokers.start(ADMIN);
        Connection a = brokers.client(broker, "a");
        Connection b = brokers.client(broker, "b");
        a.subscribe("orders.>", m -> { });
        b.subscribe("orders.>", m -> { });
        a.subscribe("work", "workers", m -> { });
        b.subscribe("work", "workers", m -> { });
        b.subscribe("work", "auditors", m -> { });
        a.flush(WAIT);
        b.flush(WAIT);
        await().atMost(WAIT).until(() -> broker.subscriptionCount() == 5);
        JsonNode s = Admin.get(port(broker), "/api/subscriptions").json();
        assertThat(s.get("total").asInt()).isEqualTo(5);
        assertThat(s.get("local").asInt()).isEqualTo(5);
        assertThat(s.get("patterns").asInt()).isEqualTo(3);
        assertThat(s.get("entries").toString()).contains(
                "{\"pattern\":\"orders.>\",\"queueGroup\":\"\",\"subscriptions\":2}",
                "{\"pattern\":\"work\",\"queueGroup\":\"workers\",\"subscriptions\":2}",
                "{\"pattern\":\"work\",\"queueGroup\":\"auditors\",\"subscriptions\":1}");
    }

    @Test
    void topTopicsAreEstimatedFromASampleOfThePublishes() throws Exception {
        Broker broker = brokers.start(ADMIN);
        Connection pub = brokers.client(broker, "pub");
        for (int i = 0; i < 64 * 20; i++) {
            pub.publish("hot", new byte[1]);
        }
        for (int i = 0; i < 64 * 5; i++) {
            pub.publish("warm", new byte[1]);
        }
        pub.flush(WAIT);
        await().atMost(WAIT).until(() -> broker.stats().messagesIn() == 64 * 25);
        JsonNode t = Admin.get(port(broker), "/api/topics").json();
        assertThat(t.get("sampleEvery").asInt()).isEqualTo(64);
        assertThat(t.get("topics").get(0).get("topic").asText()).isEqualTo("hot");
        assertThat(t.get("topics").get(0).get("publishes").asLong()).isEqualTo(64 * 20);
        assertThat(t.get("topics").get(1).get("topic").asText()).isEqualTo("warm");
    }

    @Test
    void systemEventsTellSubscribersWhoConnectedAndWhyTheyLeft() throws Exception {
        Broker broker = brokers.start(ADMIN);
        Connection watcher = brokers.client(broker, "watcher");
        BlockingQueue<Message> events = new LinkedBlockingQueue<>();
        watcher.subscribe("$SYS.>", events::add);
        watcher.flush(WAIT);

        Connection visitor = brokers.client(broker, "visitor");
        visitor.flush(WAIT);
        Message connect = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(connect).isNotNull();
        assertThat(connect.topic()).isEqualTo("$SYS.connect");
        JsonNode c = JSON.readTree(connect.payload());
        assertThat(c.get("name").asText()).isEqualTo("visitor");
        assertThat(c.get("server").asText()).isEqualTo(broker.settings().serverId());
        assertThat(c.get("remote").asText()).startsWith("127.0.0.1:");
        visitor.close();
        Message disconnect = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(disconnect).isNotNull();
        assertThat(disconnect.topic()).isEqualTo("$SYS.disconnect");
        JsonNode d = JSON.readTree(disconnect.payload());
        assertThat(d.get("name").asText()).isEqualTo("visitor");
        assertThat(d.get("id").asLong()).isEqualTo(c.get("id").asLong());
        assertThat(d.get("reason").asText()).isNotEmpty();

        // A link the broker closes says why.
        try (RawClient bad = RawClient.connected(broker.address(), "rude")) {
            assertThat(JSON.readTree(events.poll(WAIT.toSeconds(), TimeUnit.SECONDS).payload()).get("name").asText())
                    .isEqualTo("rude");
            bad.sendRaw(new byte[]{0, 0, 0, 1, (byte) 0xEE});
            bad.awaitClosedByPeer(WAIT);
        }
        Message cut = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(cut.topic()).isEqualTo("$SYS.disconnect");
        assertThat(JSON.readTree(cut.payload()).get("reason").asText()).startsWith("UNKNOWN_FRAME_TYPE");
    }

    @Test
    void aSlowConsumerCutByThePolicyIsASystemEventAndAMetric() throws Exception {
        Broker broker = brokers.start(ADMIN + """
                courier.slow-consumer.max-pending = 1 MiB
                courier.slow-consumer.publisher-pause = 200ms
                """);
        Connection watcher = brokers.client(broker, "watcher");
        BlockingQueue<Message> events = new LinkedBlockingQueue<>();
        watcher.subscribe("$SYS.slow_consumer", events::add);
        watcher.flush(WAIT);
        brokers.closeAfter(new PacedReader(broker.address(), "slow.t", 0, 4096));
        await().atMost(WAIT).until(() -> broker.subscriptionCount() == 2);
        Connection publisher = brokers.client(broker, "publisher");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (long i = 0; System.nanoTime() < end && broker.stats().slowConsumers() == 0; i++) {
            publisher.publish("slow.t", PacedReader.payload(i, 1024));
        }
        Message event = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(event).as("$SYS.slow_consumer").isNotNull();
        JsonNode e = JSON.readTree(event.payload());
        assertThat(e.get("policy").asText()).isEqualTo("disconnect");
        assertThat(e.get("detail").asText()).isNotEmpty();
        String m = Admin.get(port(broker), "/metrics").body();
        assertThat(sample(m, "courier_slow_consumer_disconnects_total")).isEqualTo(1);
        assertThat(sample(m, "courier_errors_sent_total{code=\"SLOW_CONSUMER\"}")).isEqualTo(1);
    }

    @Test
    void logLevelsChangeAtRunTimeThroughPostOnly() throws Exception {
        Broker broker = brokers.start(ADMIN);
        int admin = port(broker);
        org.slf4j.Logger probe = org.slf4j.LoggerFactory.getLogger("io.courier.probe");
        Admin.Reply set = Admin.send(admin, "/api/loglevel?logger=io.courier.probe&level=TRACE", "POST");
        assertThat(set.status()).isEqualTo(200);
        assertThat(set.json().get("effectiveLevel").asText()).isEqualTo("TRACE");
        assertThat(probe.isTraceEnabled()).isTrue();
        Admin.Reply read = Admin.get(admin, "/api/loglevel?logger=io.courier.probe");
        assertThat(read.json().get("level").asText()).isEqualTo("TRACE");
        Admin.Reply back = Admin.send(admin, "/api/loglevel?logger=io.courier.probe&level=INHERIT", "POST");
        assertThat(back.json().get("level").isNull()).isTrue();
        assertThat(probe.isTraceEnabled()).isFalse();
        Admin.Reply wrong = Admin.send(admin, "/api/loglevel?logger=io.courier.probe&level=LOUD", "POST");
        assertThat(wrong.status()).isEqualTo(400);
        assertThat(wrong.body()).contains("LOUD");
        assertThat(Admin.send(admin, "/api/loglevel?logger=x&level=DEBUG", "PUT").status()).isEqualTo(405);
        assertThat(Admin.send(admin, "/metrics", "POST").status()).isEqualTo(405);
    }

    @Test
    void theDashboardIsServedFromTheJar() throws Exception {
        Broker broker = brokers.start(ADMIN);
        int admin = port(broker);
        Admin.Reply page = Admin.get(admin, "/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.contentType()).startsWith("text/html");
        assertThat(page.body()).contains("<canvas", "dashboard.js", "dashboard.css").doesNotContain("http://",
                "https://");
        Admin.Reply js = Admin.get(admin, "/dashboard.js");
        assertThat(js.status()).isEqualTo(200);
        assertThat(js.contentType()).startsWith("text/javascript");
        assertThat(js.body()).contains("/api/server");
        assertThat(Admin.get(admin, "/dashboard.css").status()).isEqualTo(200);
    }
}
