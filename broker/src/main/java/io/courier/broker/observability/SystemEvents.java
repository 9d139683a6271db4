package io.courier.broker.observability;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.broker.routing.Router;
import io.courier.protocol.FrameCodec;
import io.courier.protocol.Publish;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The broker's own messages under {@code $SYS.}: JSON objects published through the router, so that subscribers get
 * them like any message (and subscribe permissions apply to them like any subscription).
 *
 * <ul>
 *   <li>{@code $SYS.connect}, {@code $SYS.disconnect} (with the reason), {@code $SYS.slow_consumer},
 *       {@code $SYS.auth_failure}: about one of this broker's links. Only this broker sees the link, so the event is
 *       routed like a client's publish: to local subscribers and once to each other broker that wants it.</li>
 *   <li>{@code $SYS.cluster.member_up}, {@code member_unreachable}, {@code member_reachable},
 *       {@code member_removed}: every broker of the cluster sees these itself, so each delivers them to its own
 *       subscribers only; forwarded too, a subscriber would get one copy per broker.</li>
 * </ul>
 *
 * Every event names the {@code server} that published it. Nothing is built while nobody subscribes: the topic's
 * match is checked first. These publishes do not come from a client and do not pass the client publish checks.
 */
public final class SystemEvents implements Links.Listener {

    public static final String CONNECT = "$SYS.connect";
    public static final String DISCONNECT = "$SYS.disconnect";
    public static final String SLOW_CONSUMER = "$SYS.slow_consumer";
    public static final String AUTH_FAILURE = "$SYS.auth_failure";
    public static final String MEMBER = "$SYS.cluster.member_";

    private static final Logger log = LoggerFactory.getLogger(SystemEvents.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Router router;
    private final String serverId;

    public SystemEvents(Router router, String serverId) {
        this.router = router;
        this.serverId = serverId;
    }

    @Override
    public void connected(Link link) {
        if (wanted(CONNECT)) {
            Map<String, Object> e = about(link);
            e.put("transport", link.transport());
            publish(CONNECT, e, false);
        }
    }

    @Override
    public void disconnected(Link link, String reason) {
        if (wanted(DISCONNECT)) {
            Map<String, Object> e = about(link);
            e.put("reason", reason);
            e.put("messagesIn", link.messagesIn());
            e.put("messagesOut", link.messagesOut());
            e.put("connectedMillis", System.currentTimeMillis() - link.openedMillis());
            publish(DISCONNECT, e, false);
        }
    }

    @Override
    public void slowConsumer(Link link, String policy, String detail) {
        if (wanted(SLOW_CONSUMER)) {
            Map<String, Object> e = about(link);
            e.put("policy", policy);
            e.put("detail", detail);
            publish(SLOW_CONSUMER, e, false);
        }
    }

    @Override
    public void authFailure(Link link, String reason) {
        if (wanted(AUTH_FAILURE)) {
            Map<String, Object> e = about(link);
            e.put("reason", reason);
            publish(AUTH_FAILURE, e, false);
        }
    }

    /** A cluster member changed: {@code kind} is {@code up}, {@code unreachable}, {@code reachable}, {@code removed}. */
    public void member(String kind, String member, String status) {
        String topic = MEMBER + kind;
        if (wanted(topic)) {
            Map<String, Object> e = head();
            e.put("member", member);
            e.put("status", status);
            publish(topic, e, true);
        }
    }

    private boolean wanted(String topic) {
        return !router.match(topic).isEmpty();
    }

    private Map<String, Object> head() {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("server", serverId);
        e.put("time", Instant.now().toString());
        return e;
    }

    private Map<String, Object> about(Link link) {
        Map<String, Object> e = head();
        e.put("id", link.id());
        e.put("name", link.name());
        e.put("remote", link.remote());
        return e;
    }

    private void publish(String topic, Map<String, Object> event, boolean localOnly) {
        byte[] payload;
        try {
            payload = JSON.writeValueAsBytes(event);
        } catch (java.io.IOException e) {
            log.warn("system event {} not published: {}", topic, e.toString());
            return;
        }
        ByteString body = ByteString.fromArrayUnsafe(FrameCodec.encode(new Publish(topic, "", Map.of(), payload)))
                .drop(FrameCodec.HEADER_BYTES);
        if (localOnly) {
            router.deliverLocal(router.match(topic), body);
        } else {
            router.deliver(router.match(topic), 0, false, body, io.courier.broker.routing.PublisherFlow.NONE);
        }
    }
}
