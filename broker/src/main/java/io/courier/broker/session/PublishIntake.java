package io.courier.broker.session;

import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.auth.Grant;
import io.courier.broker.auth.Permissions;
import io.courier.broker.observability.TopTopics;
import io.courier.broker.routing.LastValues;
import io.courier.broker.routing.Match;
import io.courier.broker.routing.PublisherFlow;
import io.courier.broker.routing.Router;
import io.courier.protocol.Topic;
import org.apache.pekko.util.ByteString;

/**
 * Where a client's publish enters routing, whether it came as a TCP PUB ({@link Session}) or as a UDP datagram
 * ({@link UdpEndpoint}): the checks (layout, payload size, topic, permission, reply topic, rate, in that order), the
 * last value, the route. The publish is read in place, never decoded: its topic comes from a {@link TopicCache}
 * (decoded, validated and checked against the user's permissions only the first time; the cache forgets when the
 * permissions change), its body is forwarded as received. One per publishing link, one thread at a time.
 */
final class PublishIntake {

    /** What became of a publish. */
    enum Verdict { ROUTED, MALFORMED, PAYLOAD_TOO_LARGE, INVALID_TOPIC, PERMISSION_DENIED, RATE_LIMITED }

    private final BrokerSettings settings;
    private final BrokerStats stats;
    private final Router router;
    private final LastValues lastValues;
    private final PublishFrame publish = new PublishFrame();
    private final TopicCache topics = new TopicCache();
    private final Grant grant;
    /** The generation of {@link #grant} the topic cache was filled under. */
    private int generation;
    private final PublishRate rate;
    /** How far the last TCP publishes ran over the rate: the link is to be read that much later. */
    private long overRateNanos;
    private String reason = "";
    /** Publishes routed through this intake; one in {@link TopTopics#SAMPLE_EVERY} is sampled for the top topics. */
    private long routed;

    PublishIntake(BrokerSettings settings, BrokerStats stats, Router router, LastValues lastValues, Grant grant) {
        this.settings = settings;
        this.stats = stats;
        this.router = router;
        this.lastValues = lastValues;
        this.grant = grant;
        this.generation = grant.generation();
        this.rate = settings.maxPublishRate() > 0 ? new PublishRate(settings.maxPublishRate()) : null;
    }

    /**
     * Checks and routes the publish whose delivery fills {@code data[from, to)}, from link {@code publisher} (not
     * echoed back to it when {@code noEcho}); full subscriber queues tell {@code flow}.
     */
    Verdict accept(byte[] data, int from, int to, long publisher, boolean noEcho, PublisherFlow flow) {
        return accept(data, from, to, publisher, noEcho, flow, false);
    }

    /** As the other, for a publish that may be dropped ({@code droppable}: a datagram) when over the rate. */
    Verdict accept(byte[] data, int from, int to, long publisher, boolean noEcho, PublisherFlow flow,
                   boolean droppable) {
        PublishFrame p = publish;
        if (!p.readDelivery(data, from, to)) {
            return Verdict.MALFORMED;
        }
        if (p.payloadLength() > settings.maxPayload()) {
            reason = "payload of " + p.payloadLength() + " bytes exceeds the maximum of " + settings.maxPayload();
            return Verdict.PAYLOAD_TOO_LARGE;
        }
        if (grant.generation() != generation) {
            // The user's permissions changed: what the cache says was allowed may not be any more.
            generation = grant.generation();
            topics.clear();
        }
        String topic = topics.find(data, p.topicOffset(), p.topicLength());
        if (topic == null) {
            topic = p.topic();
            String invalid = Topic.invalidTopicReason(topic);
            if (invalid != null) {
                reason = invalid;
                return Verdict.INVALID_TOPIC;
            }
            if (!grant.permissions().mayPublish(topic)) {
                stats.permissionDenied();
                reason = "PUB " + topic + ": " + grant + " may not publish to this topic";
                return Verdict.PERMISSION_DENIED;
            }
            topics.remember(data, p.topicOffset(), p.topicLength(), topic);
        }
        if (p.hasReplyTo()) {
            if (!p.replyToIsPlainValidTopic()) {
                String invalid = Topic.invalidTopicReason(p.replyTo());
                if (invalid != null) {
                    reason = "reply " + invalid;
                    return Verdict.INVALID_TOPIC;
                }
            }
            // Checked first, so that a request of an unrestricted user needs no decoding of its reply topic.
            Permissions permissions = grant.permissions();
            if (!permissions.subscribe().unrestricted() && !permissions.maySubscribe(p.replyTo())) {
                stats.permissionDenied();
                reason = "PUB " + topic + ": " + grant + " may not ask for replies on " + p.replyTo()
                        + " (a reply topic must be one the user may subscribe to)";
                return Verdict.PERMISSION_DENIED;
            }
        }
        if (rate != null) {
            if (droppable) {
                if (!rate.tryCharge()) {
                    reason = "over the publish rate of " + settings.maxPublishRate() + " messages a second";
                    return Verdict.RATE_LIMITED;
                }
            } else {
                overRateNanos = rate.charge();
            }
        }
        stats.published();
        if (TopTopics.sampled(++routed)) {
            stats.topics().sample(topic);
        }
        ByteString body = null;
        if (lastValues.isActive()) {
            body = p.retainableBody();
            lastValues.offer(topic, body);
        }
        Match match = router.match(topic);
        if (!match.isEmpty()) {
            router.deliver(match, publisher, noEcho, body != null ? body : p.retainableBody(), flow);
        } else if (p.hasReplyTo()) {
            router.answerNoResponders(p.replyTo());
        }
        return Verdict.ROUTED;
    }

    /**
     * How long to wait before reading the link's next bytes, as its last publishes ran over
     * {@code courier.limits.max-publish-rate} (0: not over); the caller pauses that long and the debt is cleared.
     */
    long takeOverRate() {
        long n = overRateNanos;
        overRateNanos = 0;
        return n;
    }

    /** Why the last publish was refused, in the words of its ERR. */
    String reason() {
        return reason;
    }
}
