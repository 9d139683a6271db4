package io.courier.broker.session;

import io.courier.broker.BrokerSettings;
import io.courier.broker.BrokerStats;
import io.courier.broker.observability.TopTopics;
import io.courier.broker.routing.LastValues;
import io.courier.broker.routing.Match;
import io.courier.broker.routing.PublisherFlow;
import io.courier.broker.routing.Router;
import io.courier.protocol.Topic;
import org.apache.pekko.util.ByteString;

/**
 * Where a client's publish enters routing, whether it came as a TCP PUB ({@link Session}) or as a UDP datagram
 * ({@link UdpEndpoint}): the checks (layout, payload size, topic, reply topic, in that order), the last value, the
 * route. The publish is read in place, never decoded: its topic comes from a {@link TopicCache} (decoded and
 * validated only the first time), its body is forwarded as received. One per publishing link, one thread at a time.
 */
final class PublishIntake {

    /** What became of a publish. */
    enum Verdict { ROUTED, MALFORMED, PAYLOAD_TOO_LARGE, INVALID_TOPIC }

    private final BrokerSettings settings;
    private final BrokerStats stats;
    private final Router router;
    private final LastValues lastValues;
    private final PublishFrame publish = new PublishFrame();
    private final TopicCache topics = new TopicCache();
    private String reason = "";
    /** Publishes routed through this intake; one in {@link TopTopics#SAMPLE_EVERY} is sampled for the top topics. */
    private long routed;

    PublishIntake(BrokerSettings settings, BrokerStats stats, Router router, LastValues lastValues) {
        this.settings = settings;
        this.stats = stats;
        this.router = router;
        this.lastValues = lastValues;
    }

    /**
     * Checks and routes the publish whose delivery fills {@code data[from, to)}, from link {@code publisher} (not
     * echoed back to it when {@code noEcho}); full subscriber queues tell {@code flow}.
     */
    Verdict accept(byte[] data, int from, int to, long publisher, boolean noEcho, PublisherFlow flow) {
        PublishFrame p = publish;
        if (!p.readDelivery(data, from, to)) {
            return Verdict.MALFORMED;
        }
        if (p.payloadLength() > settings.maxPayload()) {
            reason = "payload of " + p.payloadLength() + " bytes exceeds the maximum of " + settings.maxPayload();
            return Verdict.PAYLOAD_TOO_LARGE;
        }
        String topic = topics.find(data, p.topicOffset(), p.topicLength());
        if (topic == null) {
            topic = p.topic();
            String invalid = Topic.invalidTopicReason(topic);
            if (invalid != null) {
                reason = invalid;
                return Verdict.INVALID_TOPIC;
            }
            topics.remember(data, p.topicOffset(), p.topicLength(), topic);
        }
        if (p.hasReplyTo() && !p.replyToIsPlainValidTopic()) {
            String invalid = Topic.invalidTopicReason(p.replyTo());
            if (invalid != null) {
                reason = "reply " + invalid;
                return Verdict.INVALID_TOPIC;
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

    /** Why the last publish was refused, in the words of its ERR. */
    String reason() {
        return reason;
    }
}
