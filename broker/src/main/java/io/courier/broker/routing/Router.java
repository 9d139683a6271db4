package io.courier.broker.routing;

import io.courier.protocol.FrameCodec;
import io.courier.protocol.Headers;
import io.courier.protocol.Publish;
import org.apache.pekko.util.ByteString;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

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

    public synchronized void unsubscribeAll(Collection<Subscription> subscriptions) {
        if (!subscriptions.isEmpty()) {
            index.removeAll(subscriptions);
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
        deliver(match, publisherId, noEcho, body, flow);
        return match;
    }

    /** Delivers a message to the subscriptions of {@code match}, as {@link #publish} does after matching. */
    public void deliver(Match match, long publisherId, boolean noEcho, ByteString body, PublisherFlow flow) {
        for (SubscriberSet set : match.plainSets()) {
            SubscriberSet.Snapshot subscriptions = set.snapshot();
            for (int i = 0; i < subscriptions.size; i++) {
                Subscription s = subscriptions.get(i);
                if (noEcho && s.subscriber().id() == publisherId) {
                    continue;
                }
                s.deliver(body, flow);
            }
        }
        for (SubscriberSet[] group : match.groupSets()) {
            if (group.length == 1) {
                deliverToOne(group[0].snapshot(), publisherId, noEcho, body, flow);
            } else {
                deliverToOne(group, publisherId, noEcho, body, flow);
            }
        }
    }

    /**
     * One member of the group gets the message, picked at random (which spreads load without a counter that every
     * publisher would contend on); if the chosen one cannot take it, the next one is tried.
     */
    private static void deliverToOne(SubscriberSet.Snapshot members, long publisherId, boolean noEcho,
                                     ByteString body, PublisherFlow flow) {
        int n = members.size;
        int start = n <= 1 ? 0 : ThreadLocalRandom.current().nextInt(n);
        for (int i = 0; i < n; i++) {
            Subscription s = members.get((start + i) % n);
            if (!(noEcho && s.subscriber().id() == publisherId) && s.deliver(body, flow)) {
                return;
            }
        }
    }

    /** As above for a group whose members subscribed through several matching patterns. */
    private static void deliverToOne(SubscriberSet[] sets, long publisherId, boolean noEcho, ByteString body,
                                     PublisherFlow flow) {
        SubscriberSet.Snapshot[] parts = new SubscriberSet.Snapshot[sets.length];
        int total = 0;
        for (int i = 0; i < sets.length; i++) {
            parts[i] = sets[i].snapshot();
            total += parts[i].size;
        }
        int start = total <= 1 ? 0 : ThreadLocalRandom.current().nextInt(total);
        for (int i = 0; i < total; i++) {
            int at = (start + i) % total;
            int part = 0;
            while (at >= parts[part].size) {
                at -= parts[part++].size;
            }
            Subscription s = parts[part].get(at);
            if (!(noEcho && s.subscriber().id() == publisherId) && s.deliver(body, flow)) {
                return;
            }
        }
    }

    /** A request nobody can answer gets an immediate, empty reply marked "no responders". */
    public void answerNoResponders(String replyTo) {
        byte[] frame = FrameCodec.encode(new Publish(replyTo, "", Map.of(Headers.STATUS, Headers.NO_RESPONDERS),
                new byte[0]));
        ByteString body = ByteString.fromArrayUnsafe(frame).drop(FrameCodec.HEADER_BYTES);
        deliver(index.match(replyTo), 0, false, body, PublisherFlow.NONE);
    }
}
