package io.courier.broker;

import io.courier.broker.auth.Credential;
import io.courier.protocol.Connect;
import io.courier.protocol.Connected;
import io.courier.protocol.Err;
import io.courier.protocol.ErrorCode;
import io.courier.protocol.Frame;
import io.courier.protocol.FrameCodec;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The start-up warm-up ({@link WarmUp}) in a broker process of its own, as an operator runs it: real handshakes on a
 * private loopback port before the client port opens, none of them seen by the broker that then serves clients.
 */
class WarmUpTest {

    private static final Pattern WARMED = Pattern.compile(
            "warmed up in (\\d+) ms: (\\d+) handshakes on the private port ([0-9.]+):(\\d+), closed; none kept");
    private static final String TOKEN = Credential.newToken();

    @Test
    void theWarmUpRunsRealHandshakesOnAPrivatePortAndTheBrokerKeepsNoneOfThem() throws Exception {
        // Anonymous clients refused and small limits: the warm-up has its own authenticator and stays within the
        // per-address limits, so every one of its handshakes must still succeed, and none may count here.
        String config = "courier.warm-up.handshakes = 3000\n"
                + "courier.warm-up.max-time = 20s\n"
                + "courier.auth.anonymous = false\n"
                + "courier.auth.users.app { token = \"" + Credential.hashToken(TOKEN) + "\" }\n"
                + "courier.limits.max-connections-per-address = 40\n"
                + "courier.limits.max-handshaking-per-address = 8\n";
        try (BrokerProcess broker = BrokerProcess.start(config)) {
            Matcher warmed = WARMED.matcher(broker.output());
            assertThat(warmed.find()).as("the warm-up's log line in:\n%s", broker.output()).isTrue();
            assertThat(Integer.parseInt(warmed.group(2))).isGreaterThanOrEqualTo(3000);
            assertThat(broker.output()).doesNotContain("of them failed").doesNotContain("warm-up skipped");
            assertThat(warmed.group(3)).isEqualTo("127.0.0.1");
            InetSocketAddress privatePort = new InetSocketAddress("127.0.0.1", Integer.parseInt(warmed.group(4)));
            assertThat(privatePort.getPort()).isNotEqualTo(broker.address().getPort());

            Map<String, String> stats = broker.stats();
            assertThat(stats).containsEntry("accepted", "0").containsEntry("connections", "0")
                    .containsEntry("subscriptions", "0").containsEntry("messages-in", "0");
            assertThatThrownBy(() -> new Socket(privatePort.getAddress(), privatePort.getPort()).close())
                    .isInstanceOf(ConnectException.class);

            // The broker's own auth applies to clients: anonymous refused, the token user in.
            try (RawClient anonymous = new RawClient(broker.address())) {
                anonymous.send(new Connect(FrameCodec.VERSION, "anon", "test", "", "", 0, false));
                Frame answer = anonymous.next(Duration.ofSeconds(10));
                assertThat(answer).isInstanceOf(Err.class);
                assertThat(((Err) answer).code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
            }
            try (RawClient app = new RawClient(broker.address())) {
                app.send(new Connect(FrameCodec.VERSION, "app", "test", "", TOKEN, 0, false));
                assertThat(app.next(Duration.ofSeconds(10))).isInstanceOf(Connected.class);
                assertThat(broker.stats()).containsEntry("accepted", "2").containsEntry("connections", "1");
            }
        }
    }

    @Test
    void warmUpIsOffWhenSetToZero() throws IOException, InterruptedException {
        try (BrokerProcess broker = BrokerProcess.start("courier.warm-up.handshakes = 0\n")) {
            assertThat(broker.output()).doesNotContain("warmed up").doesNotContain("warm-up skipped");
        }
    }
}
