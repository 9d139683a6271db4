package io.courier.broker;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.typesafe.config.ConfigFactory;
import io.courier.broker.auth.Credential;
import io.courier.client.ConnectRejectedException;
import io.courier.client.Connection;
import io.courier.client.ConnectionListener;
import io.courier.client.ConnectionEvent;
import io.courier.client.Courier;
import io.courier.client.Message;
import io.courier.client.Options;
import io.courier.client.Subscription;
import io.courier.protocol.Connect;
import io.courier.protocol.Connected;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.Publish;
import io.courier.protocol.Subscribe;
import io.courier.protocol.Topic;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Authentication and permissions (courier.auth) against a real broker over real sockets: who gets in, what each
 * user may publish and subscribe, refusals counted and worded, nothing secret in the logs, and reloads.
 */
class AuthTest extends OneBrokerTest {

    private static final String ALICE_PASSWORD = "alice-secret-7";
    private static final String BOB_PASSWORD = "bob-secret-9";
    private static final String TOKEN = Credential.newToken();
    /** Few iterations: the tests check the logic, not the cost. */
    private static final String ALICE = Credential.hashPassword(ALICE_PASSWORD, 10_000).toString();
    private static final String BOB = Credential.hashPassword(BOB_PASSWORD, 10_000).toString();

    private static String users(String alicePermissions) {
        return "courier.auth.failure-delay = 300ms\n"
                + "courier.auth.users {\n"
                + "  alice { password = \"" + ALICE + "\"\n" + alicePermissions + "\n }\n"
                + "  bob { password = \"" + BOB + "\" }\n"
                + "  sensor { token = \"" + Credential.hashToken(TOKEN) + "\", publish { allow = [\"sensors.>\"] },"
                + " subscribe { allow = [] } }\n"
                + "}\n";
    }

    private static final String ALICE_RULES = "publish { allow = [\"orders.>\"], deny = [\"orders.audit.>\"] }\n"
            + "subscribe { allow = [\"orders.>\", \"_INBOX.>\"], deny = [\"orders.secret\"] }";

    private Options.Builder as(String user, String password) {
        return Options.builder().server(Brokers.address(broker)).name(user).credentials(user, password)
                .reconnectWait(Duration.ofMillis(50)).reconnectMaxWait(Duration.ofMillis(100));
    }

    @Test
    void wrongCredentialsAreRefusedAfterTheDelayAndNeverLogged() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        // Everything the broker logs, down to DEBUG, while it refuses and accepts secrets.
        Logger root = (Logger) LoggerFactory.getLogger("io.courier");
        ch.qos.logback.classic.Level level = root.getLevel();
        root.setLevel(ch.qos.logback.classic.Level.DEBUG);
        root.setAdditive(false);
        logs.start();
        root.addAppender(logs);
        try {
            start(users(ALICE_RULES));
            for (String[] attempt : new String[][] {{"nobody", "wrong-password"}, {"alice", "wrong-password"},
                    {"", ""}}) {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> Courier.connect(as(attempt[0], attempt[1]).build()))
                        .isInstanceOf(ConnectRejectedException.class)
                        .satisfies(e -> assertThat(((ConnectRejectedException) e).code())
                                .isEqualTo(ErrorCode.AUTHENTICATION_FAILED));
                // The fixed delay is a property of the refusal (no timing says which part was wrong), not a speed.
                assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
            }
            assertThat(broker.stats().authFailures()).isEqualTo(3);
            brokers.client(as("alice", ALICE_PASSWORD)).flush(Duration.ofSeconds(5));
            brokers.client(Options.builder().server(Brokers.address(broker)).token(TOKEN))
                    .flush(Duration.ofSeconds(5));
            assertThat(broker.stats().authFailures()).isEqualTo(3);
        } finally {
            root.detachAppender(logs);
            root.setLevel(level);
            root.setAdditive(true);
        }
        assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
                .contains("login refused for user 'nobody' from 127.0.0.1"));
        for (ILoggingEvent e : logs.list) {
            assertThat(e.getFormattedMessage()).doesNotContain("wrong-password").doesNotContain(ALICE_PASSWORD)
                    .doesNotContain(TOKEN);
        }
    }

    @Test
    void anonymousClientsGetInOnlyWhileNoUsersAreConfigured() throws Exception {
        start("");
        brokers.client(broker, "anonymous").flush(Duration.ofSeconds(5));
        // With no users, credentials cannot be checked: the client is let in as anonymous.
        brokers.client(as("anyone", "anything")).flush(Duration.ofSeconds(5));
        broker.stop();
        start(users("") + "courier.auth.anonymous = true\n"
                + "courier.auth.anonymous-permissions.publish.allow = [\"public.>\"]\n");
        Connection anonymous = brokers.client(broker, "anonymous");
        BlockingQueue<Object> errors = new LinkedBlockingQueue<>();
        Connection watcher = brokers.client(Options.builder().server(Brokers.address(broker))
                .connectionListener(serverErrors(errors)));
        watcher.flush(Duration.ofSeconds(5));
        anonymous.publish("public.news", bytes("ok"));
        anonymous.flush(Duration.ofSeconds(5));
        assertThat(broker.stats().permissionDenials()).isZero();
        assertThatThrownBy(() -> Courier.connect(as("alice", "wrong").build()))
                .isInstanceOf(ConnectRejectedException.class);
    }

    @Test
    void permissionsDecideWhatEachUserMayPublishAndSubscribe() throws Exception {
        start(users(ALICE_RULES));
        Connection bob = brokers.client(as("bob", BOB_PASSWORD));
        BlockingQueue<Message> seen = new LinkedBlockingQueue<>();
        bob.subscribe(">", seen::add);
        bob.flush(Duration.ofSeconds(5));

        BlockingQueue<Object> errors = new LinkedBlockingQueue<>();
        Connection alice = brokers.client(as("alice", ALICE_PASSWORD).connectionListener(serverErrors(errors)));
        alice.publish("orders.eu.created", bytes("1"));
        alice.publish("orders.audit.x", bytes("denied: deny wins over allow"));
        alice.publish("payments.x", bytes("denied: not allowed"));
        alice.publish("$SYS.fake", bytes("denied: the broker's own topics"));
        alice.publish("orders.eu.created", bytes("2"));
        alice.flush(Duration.ofSeconds(5));
        assertThat(payloads(seen, 2)).containsExactly("1", "2");
        assertThat(seen.poll(200, TimeUnit.MILLISECONDS)).isNull();
        assertThat(drain(errors, 3)).allSatisfy(e -> assertThat(e).asString().startsWith("PERMISSION_DENIED"))
                .anySatisfy(e -> assertThat(e).asString().contains("PUB orders.audit.x: user 'alice' may not "
                        + "publish"));

        Subscription fine = alice.subscribe("orders.*.created", m -> { });
        Subscription overlapsDeny = alice.subscribe("orders.*", m -> { });
        Subscription notAllowed = alice.subscribe("payments.>", m -> { });
        alice.flush(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).until(() -> overlapsDeny.error().isPresent()
                && notAllowed.error().isPresent());
        assertThat(fine.isActive()).isTrue();
        assertThat(overlapsDeny.error().orElseThrow().code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
        assertThat(notAllowed.error().orElseThrow().reason()).contains("may not subscribe to payments.>");
        assertThat(drain(errors, 2)).allSatisfy(e -> assertThat(e).asString().contains("may not subscribe"));

        // A reply topic must be one the requester may subscribe to.
        alice.publish("orders.eu.query", "orders.secret", Map.of(), bytes("reply to a denied topic"));
        alice.flush(Duration.ofSeconds(5));
        assertThat(drain(errors, 1).get(0)).asString().contains("may not ask for replies on orders.secret");
        // The link stays (disconnect-on-violation is off) and requests to allowed places work.
        assertThat(alice.status()).isEqualTo(io.courier.client.ConnectionStatus.CONNECTED);
        assertThat(broker.stats().permissionDenials()).isEqualTo(6);
        assertThat(broker.stats().authFailures()).isZero();

        // A token user: publish to its own topics only, subscribe to nothing.
        Connection sensor = brokers.client(Options.builder().server(Brokers.address(broker)).token(TOKEN));
        sensor.publish("sensors.7.temp", bytes("21.5"));
        sensor.flush(Duration.ofSeconds(5));
        assertThat(payloads(seen, 1)).containsExactly("21.5");
        Subscription none = sensor.subscribe("sensors.>", m -> { });
        sensor.flush(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).until(() -> none.error().isPresent());
    }

    @Test
    void udpPublishesAreCheckedAsPubsAre() throws Exception {
        start(users(ALICE_RULES) + "courier.udp.port = 0\n");
        Connection bob = brokers.client(as("bob", BOB_PASSWORD));
        BlockingQueue<Message> seen = new LinkedBlockingQueue<>();
        bob.subscribe(">", seen::add);
        bob.flush(Duration.ofSeconds(5));
        Connection alice = brokers.client(as("alice", ALICE_PASSWORD).udp(true));
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().udp().binds() == 1);
        for (int i = 0; i < 20 && broker.stats().udp().refusedPublishes() == 0; i++) {
            alice.publishUdp("payments.x", bytes("denied"));
            Thread.sleep(50);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().udp().refusedPublishes() > 0);
        for (int i = 0; i < 20 && seen.isEmpty(); i++) {
            alice.publishUdp("orders.udp", bytes("allowed"));
            Thread.sleep(50);
        }
        Message m = seen.poll(5, TimeUnit.SECONDS);
        assertThat(m).isNotNull();
        assertThat(m.topic()).isEqualTo("orders.udp");
        assertThat(broker.stats().permissionDenials()).isPositive();
    }

    @Test
    void aReloadShrinksPermissionsAndClosesRemovedUsers() throws Exception {
        start(users("subscribe { allow = [\"orders.>\", \"_INBOX.>\"] }"));
        BlockingQueue<Message> aliceGot = new LinkedBlockingQueue<>();
        Connection alice = brokers.client(as("alice", ALICE_PASSWORD));
        Subscription orders = alice.subscribe("orders.>", aliceGot::add);
        Subscription inbox = alice.subscribe("_INBOX.>", aliceGot::add);
        alice.flush(Duration.ofSeconds(5));
        List<ConnectionEvent> bobEvents = new CopyOnWriteArrayList<>();
        Connection bob = brokers.client(as("bob", BOB_PASSWORD).connectionListener(bobEvents::add));
        bob.publish("orders.1", bytes("before"));
        alice.publish("orders.2", bytes("alice before"));
        alice.flush(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).until(() -> aliceGot.size() == 2);
        aliceGot.clear();

        // alice may now subscribe to her inbox only and publish nowhere; bob is gone.
        String reloaded = broker.reloadAuth(ConfigFactory.parseString(
                "courier.auth.users { alice { password = \"" + ALICE + "\", publish { allow = [] },"
                        + " subscribe { allow = [\"_INBOX.>\"] } } }"));
        assertThat(reloaded).contains("1 connections' permissions changed, 1 revoked");
        await().atMost(Duration.ofSeconds(5)).until(() -> orders.error().isPresent());
        assertThat(orders.error().orElseThrow().reason()).contains("may no longer subscribe to orders.>");
        assertThat(inbox.isActive()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> bobEvents.stream()
                .anyMatch(e -> e.type() == ConnectionEvent.Type.DISCONNECTED));
        // Bob's client tries to come back and is refused: its password is no longer configured.
        assertThatThrownBy(() -> Courier.connect(as("bob", BOB_PASSWORD).build()))
                .isInstanceOf(ConnectRejectedException.class);

        long denied = broker.stats().permissionDenials();
        alice.publish("orders.2", bytes("after: refused although this topic was allowed and cached"));
        alice.flush(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().permissionDenials() > denied);
        assertThat(aliceGot.poll(200, TimeUnit.MILLISECONDS)).isNull();

        // A bad reload changes nothing and says why.
        assertThatThrownBy(() -> broker.reloadAuth(ConfigFactory.parseString(
                "courier.auth.users { carol { password = \"plain-text\" } }")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("courier.auth.users.carol.password").hasMessageNotContaining("plain-text");
        brokers.client(as("alice", ALICE_PASSWORD)).flush(Duration.ofSeconds(5));
    }

    @Test
    void theAdminPortReloadsWhatTheConfigurationSourceSaysNow() throws Exception {
        start(users("") + "courier.admin.enabled = true\ncourier.admin.port = 0\n");
        Connection bob = brokers.client(as("bob", BOB_PASSWORD));
        Subscription everything = bob.subscribe(">", m -> { });
        bob.flush(Duration.ofSeconds(5));
        String[] source = {users("") + "courier.auth.users.bob.subscribe.allow = [\"bob.>\"]\n"};
        broker.configurationSource(() -> ConfigFactory.parseString(source[0]));
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.URI reload = java.net.URI.create("http://127.0.0.1:" + broker.adminAddress().orElseThrow().getPort()
                + "/api/reload");
        var get = http.send(java.net.http.HttpRequest.newBuilder(reload).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        var post = http.send(java.net.http.HttpRequest.newBuilder(reload)
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(200);
        assertThat(post.body()).contains("1 connections' permissions changed");
        await().atMost(Duration.ofSeconds(5)).until(() -> everything.error().isPresent());
        String metrics = http.send(java.net.http.HttpRequest.newBuilder(reload.resolve("/metrics")).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("courier_permission_denials_total 1.0").contains("courier_auth_failures_total 0.0")
                .doesNotContain(BOB_PASSWORD);
        String server = http.send(java.net.http.HttpRequest.newBuilder(reload.resolve("/api/server")).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(server).contains("\"users\" : 3").contains("\"anonymous\" : false").doesNotContain("pbkdf2")
                .doesNotContain("sha256");
        source[0] = "courier.auth.users.bob.password = \"" + BOB_PASSWORD + "\"";
        var bad = http.send(java.net.http.HttpRequest.newBuilder(reload)
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("courier.auth.users.bob.password").doesNotContain(BOB_PASSWORD);
    }

    @Test
    void anAddressWithTooManyFailedLoginsIsRefusedForAWhile() throws Exception {
        start(users("") + "courier.auth.failure-delay = 0s\ncourier.auth.max-failures-per-address = 3\n");
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> Courier.connect(as("alice", "guess").build()))
                    .isInstanceOf(ConnectRejectedException.class);
        }
        assertThatThrownBy(() -> Courier.connect(as("alice", ALICE_PASSWORD).build()))
                .isInstanceOf(ConnectRejectedException.class)
                .hasMessageContaining("too many failed logins from this address");
    }

    @Test
    void connectionsPerAddressAreLimited() throws Exception {
        start("courier.limits.max-connections-per-address = 2");
        brokers.client(broker, "one");
        Connection two = brokers.client(broker, "two");
        assertThatThrownBy(() -> Courier.connect(Options.builder().server(Brokers.address(broker)).build()))
                .isInstanceOf(ConnectRejectedException.class)
                .satisfies(e -> assertThat(((ConnectRejectedException) e).code())
                        .isEqualTo(ErrorCode.TOO_MANY_CONNECTIONS));
        assertThat(broker.stats().addressRefusals()).isEqualTo(1);
        two.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().connections() == 1);
        brokers.client(broker, "three").flush(Duration.ofSeconds(5));
    }

    @Test
    void aPublisherOverItsRateIsSlowedAndLosesNothing() throws Exception {
        start("courier.limits.max-publish-rate = 2000");
        BlockingQueue<Object> errors = new LinkedBlockingQueue<>();
        Connection subscriber = brokers.client(broker, "sub");
        BlockingQueue<Message> got = new LinkedBlockingQueue<>();
        subscriber.subscribe("load", got::add);
        subscriber.flush(Duration.ofSeconds(5));
        Connection publisher = brokers.client(Options.builder().server(Brokers.address(broker))
                .connectionListener(serverErrors(errors)));
        int n = 6_000;
        for (int i = 0; i < n; i++) {
            publisher.publish("load", bytes(Integer.toString(i)));
        }
        publisher.flush(Duration.ofSeconds(30));
        await().atMost(Duration.ofSeconds(30)).until(() -> got.size() == n);
        int expected = 0;
        for (Message m : got) {
            assertThat(new String(m.payload(), StandardCharsets.UTF_8)).isEqualTo(Integer.toString(expected++));
        }
        assertThat(broker.stats().rateLimited()).isPositive();
        assertThat(drain(errors, 1).get(0)).asString().startsWith("RATE_LIMITED");
        assertThat(errors.poll(200, TimeUnit.MILLISECONDS)).as("told once").isNull();
    }

    /** A client that sends SUB and PUB right behind CONNECT, not waiting for CONNECTED while its password is checked. */
    @Test
    void framesSentBeforeConnectedWaitForTheLogin() throws Exception {
        start(users(ALICE_RULES));
        try (RawClient raw = new RawClient(broker.address())) {
            byte[] connect = FrameCodec.encode(new Connect(FrameCodec.VERSION, "raw", "test", "alice",
                    ALICE_PASSWORD, 0, false));
            byte[] sub = FrameCodec.encode(new Subscribe(1, "orders.x", "", false));
            byte[] pub = FrameCodec.encode(new Publish("orders.x", "", Map.of(), bytes("pipelined")));
            byte[] all = new byte[connect.length + sub.length + pub.length];
            System.arraycopy(connect, 0, all, 0, connect.length);
            System.arraycopy(sub, 0, all, connect.length, sub.length);
            System.arraycopy(pub, 0, all, connect.length + sub.length, pub.length);
            raw.sendRaw(all);
            raw.nextOf(Connected.class, Duration.ofSeconds(5));
            io.courier.protocol.Message m = raw.nextOf(io.courier.protocol.Message.class, Duration.ofSeconds(5));
            assertThat(new String(m.payload(), StandardCharsets.UTF_8)).isEqualTo("pipelined");
        }
    }

    /** What a client may pile up behind CONNECT while its password is checked is bounded; others carry on. */
    @Test
    void aClientFloodingBeforeConnectedIsClosedAndChargedNoMore() throws Exception {
        start(users(ALICE_RULES));
        Connection bob = brokers.client(as("bob", BOB_PASSWORD));
        try (RawClient raw = new RawClient(broker.address())) {
            byte[] connect = FrameCodec.encode(new Connect(FrameCodec.VERSION, "flood", "test", "alice",
                    ALICE_PASSWORD, 0, false));
            byte[] ping = FrameCodec.encode(io.courier.protocol.Ping.INSTANCE);
            // More than max-handshake-frame (8 KiB) of frames, in the same write as CONNECT.
            int pings = 2 * 8192 / ping.length;
            byte[] all = new byte[connect.length + pings * ping.length];
            System.arraycopy(connect, 0, all, 0, connect.length);
            for (int i = 0; i < pings; i++) {
                System.arraycopy(ping, 0, all, connect.length + i * ping.length, ping.length);
            }
            raw.sendRaw(all);
            Err err = raw.firstOf(Err.class, Duration.ofSeconds(5));
            assertThat(err).isNotNull();
            assertThat(err.code()).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
            assertThat(err.reason()).contains("wait for CONNECTED");
        }
        bob.flush(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.stats().connections() == 1);
    }

    @Test
    void badUserConfigurationStopsStartUpWithTheKeyAndNoSecret() {
        assertThatThrownBy(() -> start("courier.auth.users { dave { password = \"hunter2\" } }"))
                .hasMessageContaining("courier.auth.users.dave.password").hasMessageContaining("courier passwd")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> start("courier.auth.users { dave { password = \"" + ALICE + "\", "
                + "publish { allow = [\"a..b\"] } } }"))
                .hasMessageContaining("courier.auth.users.dave.publish.allow");
        assertThatThrownBy(() -> start("courier.auth.users { dave { pasword = \"" + ALICE + "\" } }"))
                .hasMessageContaining("courier.auth.users.dave.pasword");
    }

    @Test
    void patternRules() {
        assertThat(Topic.covers("orders.>", "orders.*")).isTrue();
        assertThat(Topic.covers("orders.*", "orders.>")).isFalse();
        assertThat(Topic.covers("orders.*", "orders.eu")).isTrue();
        assertThat(Topic.covers("orders.eu", "orders.*")).isFalse();
        assertThat(Topic.covers(">", "a")).isTrue();
        assertThat(Topic.covers("a.>", "a")).isFalse();
        assertThat(Topic.overlaps("orders.*.created", "*.eu.>")).isTrue();
        assertThat(Topic.overlaps("orders.>", "orders")).isFalse();
        assertThat(Topic.overlaps("a.b", "a.c")).isFalse();
        assertThat(Topic.overlaps("a.*", "a.b.c")).isFalse();
        assertThat(Topic.overlaps(">", "x.y")).isTrue();
        // The broker's own topics: no leading wildcard reaches them.
        assertThat(Topic.matches(">", "$SYS.connect")).isFalse();
        assertThat(Topic.matches("*.connect", "$SYS.connect")).isFalse();
        assertThat(Topic.matches("$SYS.>", "$SYS.connect")).isTrue();
        assertThat(Topic.covers(">", "$SYS.>")).isFalse();
        assertThat(Topic.overlaps(">", "$SYS.>")).isFalse();
        assertThat(Topic.overlaps("$SYS.*", "$SYS.>")).isTrue();
    }

    @Test
    void aSubscriptionToEverythingDoesNotReceiveTheBrokersOwnEvents() throws Exception {
        start("");
        BlockingQueue<Message> everything = new LinkedBlockingQueue<>();
        BlockingQueue<Message> system = new LinkedBlockingQueue<>();
        Connection watcher = brokers.client(broker, "watcher");
        watcher.subscribe(">", everything::add);
        watcher.subscribe("$SYS.>", system::add);
        watcher.flush(Duration.ofSeconds(5));
        brokers.client(broker, "newcomer").flush(Duration.ofSeconds(5));
        Message connect = system.poll(5, TimeUnit.SECONDS);
        assertThat(connect).isNotNull();
        assertThat(connect.topic()).isEqualTo("$SYS.connect");
        assertThat(everything.poll(200, TimeUnit.MILLISECONDS)).isNull();
    }

    private static ConnectionListener serverErrors(BlockingQueue<Object> errors) {
        return new ConnectionListener() {
            @Override
            public void onEvent(ConnectionEvent event) {
            }

            @Override
            public void onServerError(ErrorCode code, String reason) {
                errors.add(code + " " + reason);
            }
        };
    }

    private static List<Object> drain(BlockingQueue<Object> q, int n) throws InterruptedException {
        List<Object> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            Object o = q.poll(5, TimeUnit.SECONDS);
            assertThat(o).as("ERR number " + (i + 1)).isNotNull();
            out.add(o);
        }
        return out;
    }

    private static List<String> payloads(BlockingQueue<Message> q, int n) throws InterruptedException {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            Message m = q.poll(5, TimeUnit.SECONDS);
            assertThat(m).as("message number " + (i + 1)).isNotNull();
            out.add(new String(m.payload(), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
