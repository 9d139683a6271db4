package io.courier.broker.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.broker.routing.PublisherFlow;
import io.courier.broker.routing.RemoteSubscriber;
import io.courier.broker.routing.Router;
import io.courier.broker.routing.Subscriber;
import io.courier.broker.routing.Subscription;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** What the broker publishes under $SYS., through a real router, to a subscriber that records what it gets. */
class SystemEventsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Link.Outbound NOTHING_QUEUED = new Link.Outbound() {
        @Override
        public long pendingBytes() {
            return 0;
        }

        @Override
        public long bytesWritten() {
            return 0;
        }

        @Override
        public long messagesWritten() {
            return 0;
        }
    };

    /** Records the delivery bodies (topic, reply, headers, payload, as in a MSG after its sid). */
    static final class Recorder implements Subscriber {
        final List<ByteString> got = new CopyOnWriteArrayList<>();

        @Override
        public long id() {
            return 99;
        }

        @Override
        public boolean offer(int sid, ByteString body, PublisherFlow flow) {
            got.add(body);
            return true;
        }

        @Override
        public void expired(Subscription subscription) {
        }

        @Override
        public void failed(Throwable cause) {
        }
    }

    private final Router router = new Router(16);
    private final Links links = new Links();
    private final Recorder recorder = new Recorder();

    SystemEventsTest() {
        links.listen(new SystemEvents(router, "server-1"));
        router.subscribe(new Subscription(recorder, 1, "$SYS.>", ""));
    }

    /** The JSON payload of a delivery body: it comes last, after the topic, and is the only part with a brace. */
    private static JsonNode payload(ByteString body) throws Exception {
        String text = body.utf8String();
        return JSON.readTree(text.substring(text.indexOf('{')));
    }

    @Test
    void refusedCredentialsAreAnnouncedWithTheClientsAddressAndName() throws Exception {
        Link link = links.open(7, new InetSocketAddress("127.0.0.1", 5555), NOTHING_QUEUED);
        link.authFailed("user alice: wrong password");
        assertThat(recorder.got).hasSize(1);
        JsonNode e = payload(recorder.got.get(0));
        assertThat(e.get("server").asText()).isEqualTo("server-1");
        assertThat(e.get("id").asLong()).isEqualTo(7);
        assertThat(e.get("remote").asText()).isEqualTo("127.0.0.1:5555");
        assertThat(e.get("reason").asText()).isEqualTo("user alice: wrong password");
        links.closed(link);
        assertThat(recorder.got).as("a link that never connected has no disconnect").hasSize(1);
    }

    @Test
    void aConnectedLinkIsAnnouncedOnceWhenItConnectsAndOnceWhenItGoesWithTheBrokersReason() throws Exception {
        Link link = links.open(8, new InetSocketAddress("127.0.0.1", 6666), NOTHING_QUEUED);
        link.connected("orders-service");
        link.closing("STALE_CONNECTION", "2 PINGs went unanswered");
        link.closing("INTERNAL_ERROR", "a later reason is not the reason");
        links.closed(link);
        links.closed(link);
        assertThat(recorder.got).hasSize(2);
        assertThat(payload(recorder.got.get(0)).get("name").asText()).isEqualTo("orders-service");
        assertThat(payload(recorder.got.get(1)).get("reason").asText())
                .isEqualTo("STALE_CONNECTION: 2 PINGs went unanswered");
        assertThat(links.size()).isZero();
    }

    @Test
    void memberEventsGoToLocalSubscribersOnlyWhileALinksEventsAreForwardedToInterestedBrokers() throws Exception {
        List<ByteString> forwarded = new CopyOnWriteArrayList<>();
        RemoteSubscriber other = new RemoteSubscriber() {
            @Override
            public int index() {
                return 1;
            }

            @Override
            public long id() {
                return -1;
            }

            @Override
            public boolean forward(ByteString body, byte[] groups, PublisherFlow flow) {
                forwarded.add(body);
                return true;
            }

            @Override
            public void failed(Throwable cause) {
            }
        };
        router.subscribe(new Subscription(other, 1, "$SYS.>", ""));
        new SystemEvents(router, "server-1").member("up", "pekko://courier@127.0.0.1:4900", "up");
        assertThat(recorder.got).hasSize(1);
        assertThat(payload(recorder.got.get(0)).get("member").asText()).isEqualTo("pekko://courier@127.0.0.1:4900");
        assertThat(forwarded).as("every broker sees membership itself").isEmpty();
        links.open(9, null, NOTHING_QUEUED).connected("c");
        assertThat(forwarded).as("only this broker sees its links").hasSize(1);
    }
}
