package io.courier.broker.routing;

import io.courier.protocol.FrameCodec;
import io.courier.protocol.Headers;
import io.courier.protocol.Publish;
import org.apache.pekko.util.ByteString;

import java.util.Map;

/**
 * Routes published messages to matching subscriptions and is the single writer of the {@link SubscriptionIndex}.
 *
 * <p>A plain object rather than an actor: connections call it directly, so a SUB followed by a PUB on the same
 * connection always sees the new subscription, and a publish costs no actor hop. Writes are serialised by a lock;
 * they are rare next to reads, which take none. This is also the place that will tell the cluster layer about
 * interest changes.
 */
public final class Router {

    private final SubscriptionIndex index;

    public Router(int matchCacheSize) {
        this.index = new SubscriptionIndex(matchCacheSize);
    }

    public synchronized void subscribe(Subscription subscription) {
        index.add(subscription);
    }

    public synchronized boolean unsubscribe(Subscription subscription) {
        return index.remove(subscription);
    }

    public synchronized void unsubscribeAll(Iterable<Subscription> subscriptions) {
        for (Subscription s : subscriptions) {
            index.remove(s);
        }
    }

    /** Subscriptions currently routed to. */
    public int subscriptionCount() {
        return index.size();
    }

    public Match match(String topic) {
        return index.match(topic);
    }

    /**
     * Delivers a published message. {@code body} is the PUB frame's body (everything after the type byte), shared
     * as-is by every MSG frame. With {@code noEcho} the publisher's own subscriptions are skipped. A subscriber's
     * queue that fills up tells the publisher through {@code flow}.
     *
     * @return the subscriptions the topic matched; when there are none and the message is a request, the caller
     *         answers it with {@link #answerNoResponders} (the reply topic is only decoded then)
     */
    public Match publish(long publisherId, boolean noEcho, String topic, ByteString body, PublisherFlow flow) {
        Match match = index.match(topic);
        for (Subscription s : match.plainArray()) {
            if (noEcho && s.subscriber().id() == publisherId) {
                continue;
            }
            s.deliver(body, flow);
        }
        for (Subscription[] group : match.groupArrays()) {
            deliverToOne(group, publisherId, noEcho, body, flow);
        }
        return match;
    }

    /** One member of the group gets the message; if the chosen one cannot take it, the next one is tried. */
    private static boolean deliverToOne(Subscription[] group, long publisherId, boolean noEcho, ByteString body,
                                        PublisherFlow flow) {
        Subscription first = Match.pick(group);
        int start = 0;
        while (group[start] != first) {
            start++;
        }
        for (int i = 0; i < group.length; i++) {
            Subscription s = group[(start + i) % group.length];
            if (noEcho && s.subscriber().id() == publisherId) {
                continue;
            }
            if (s.deliver(body, flow)) {
                return true;
            }
        }
        return false;
    }

    /** A request nobody can answer gets an immediate, empty reply marked "no responders". */
    public void answerNoResponders(String replyTo) {
        byte[] frame = FrameCodec.encode(new Publish(replyTo, "", Map.of(Headers.STATUS, Headers.NO_RESPONDERS),
                new byte[0]));
        ByteString body = ByteString.fromArrayUnsafe(frame).drop(FrameCodec.HEADER_BYTES);
        Match match = index.match(replyTo);
        for (Subscription s : match.plainArray()) {
            s.deliver(body, PublisherFlow.NONE);
        }
        for (Subscription[] group : match.groupArrays()) {
            deliverToOne(group, 0, false, body, PublisherFlow.NONE);
        }
    }
}
