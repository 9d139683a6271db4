package io.courier.broker.routing;

import io.courier.protocol.FrameCodec;
import io.courier.protocol.Headers;
import io.courier.protocol.Publish;
import org.apache.pekko.util.ByteString;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Routes published messages to matching subscriptions and is the single writer of the {@link SubscriptionIndex}.
 *
 * <p>A plain object rather than an actor: connections call it directly, so a SUB followed by a PUB on the same
 * connection always sees the new subscription, and a publish costs no actor hop. Writes are serialised by a lock;
 * they are rare next to reads, which take none.
 *
 * <p>In a cluster the index also holds other brokers' interest ({@link RemoteSubscriber}s). A publish from a client
 * goes to the local subscriptions and once to each other broker that wants it, with the queue groups it is to serve;
 * a publish that came from another broker ({@link #deliverRouted}) goes to local subscriptions only, so nothing
 * loops. The router also counts the local interest per pattern and group and tells its {@link InterestListener} when
 * a pattern gains its first or loses its last local subscription: the cluster layer sends other brokers changes, not
 * snapshots, and a thousand local subscribers to {@code orders.>} are one entry for them.
 */
public final class Router {

    /** Told, under the router's lock, when a pattern (and queue group) gains its first or loses its last local subscription. */
    public interface InterestListener {
        InterestListener NONE = (pattern, queueGroup, present) -> { };

        void interestChanged(String pattern, String queueGroup, boolean present);
    }

    private final SubscriptionIndex index;
    private final InterestCounts interest = new InterestCounts();
    private volatile InterestListener listener = InterestListener.NONE;
    /** The remote brokers by slot, for a publish to find those its bit mask names. */
    private final RemoteSubscriber[] remotes = new RemoteSubscriber[RemoteSubscriber.MAX_NODES];

    public Router(int matchCacheSize) {
        this.index = new SubscriptionIndex(matchCacheSize);
    }

    /** Distinct patterns (with their queue group) local clients subscribe to: this broker's entries at the others. */
    public synchronized int localInterest() {
        return interest.size();
    }

    /**
     * Sets who hears of interest changes and returns the local interest as it stands, atomically: the listener hears
     * every change after the snapshot and none before it.
     */
    public synchronized List<InterestCounts.Entry> listen(InterestListener listener) {
        this.listener = listener;
        return interest.entries();
    }

    public synchronized void subscribe(Subscription subscription) {
        index.add(subscription);
        if (subscription.isRemote()) {
            RemoteSubscriber r = (RemoteSubscriber) subscription.subscriber();
            remotes[r.index()] = r;
        } else if (interest.add(subscription.pattern(), subscription.queueGroup())) {
            listener.interestChanged(subscription.pattern(), subscription.queueGroup(), true);
        }
    }

    public synchronized boolean unsubscribe(Subscription subscription) {
        boolean removed = index.remove(subscription);
        if (removed && !subscription.isRemote() && interest.remove(subscription.pattern(), subscription.queueGroup())) {
            listener.interestChanged(subscription.pattern(), subscription.queueGroup(), false);
        }
        return removed;
    }

    public synchronized void unsubscribeAll(Collection<Subscription> subscriptions) {
        if (subscriptions.isEmpty()) {
            return;
        }
        index.removeAll(subscriptions);
        for (Subscription s : subscriptions) {
            if (!s.isRemote() && interest.remove(s.pattern(), s.queueGroup())) {
                listener.interestChanged(s.pattern(), s.queueGroup(), false);
            }
        }
    }

    /** Subscriptions currently routed to, other brokers' interest included. */
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

    /**
     * Delivers a message a client published here to the subscriptions of {@code match}: the local ones, once to each
     * other broker that wants it, and to one member of each queue group, a local member if there is one.
     */
    public void deliver(Match match, long publisherId, boolean noEcho, ByteString body, PublisherFlow flow) {
        deliverPlain(match, publisherId, noEcho, body, flow);
        long brokers = 0;
        for (SubscriberSet set : match.remoteSets()) {
            SubscriberSet.Snapshot interested = set.snapshot();
            for (int i = 0; i < interested.size; i++) {
                brokers |= 1L << ((RemoteSubscriber) interested.get(i).subscriber()).index();
            }
        }
        List<String>[] groupsFor = null;
        for (Match.Group group : match.groups()) {
            if (deliverToOne(group.local(), publisherId, noEcho, body, flow)) {
                continue;
            }
            RemoteSubscriber chosen = pickRemote(group.remote());
            if (chosen != null) {
                if (groupsFor == null) {
                    groupsFor = newGroupLists();
                }
                groupsFor[chosen.index()].add(group.name());
                brokers |= 1L << chosen.index();
            }
        }
        while (brokers != 0) {
            int slot = Long.numberOfTrailingZeros(brokers);
            brokers &= brokers - 1;
            RemoteSubscriber r = remotes[slot];
            if (r != null) {
                r.forward(body, groupsFor == null || groupsFor[slot].isEmpty() ? FrameCodec.routeGroupsField(List.of())
                        : FrameCodec.routeGroupsField(groupsFor[slot]), flow);
            }
        }
    }

    /**
     * Delivers a message another broker forwarded here: to the local plain subscriptions, and to one local member of
     * each queue group in {@code groups}. Never forwarded again.
     */
    public void deliverRouted(Match match, List<String> groups, ByteString body, PublisherFlow flow) {
        deliverPlain(match, 0, false, body, flow);
        if (groups.isEmpty()) {
            return;
        }
        for (Match.Group group : match.groups()) {
            if (groups.contains(group.name())) {
                deliverToOne(group.local(), 0, false, body, flow);
            }
        }
    }

    /**
     * Delivers a message of the broker's own to local subscriptions only (one member of each local queue group):
     * for news every broker of a cluster publishes itself, which forwarded would arrive once per broker.
     */
    public void deliverLocal(Match match, ByteString body) {
        deliverPlain(match, 0, false, body, PublisherFlow.NONE);
        for (Match.Group group : match.groups()) {
            deliverToOne(group.local(), 0, false, body, PublisherFlow.NONE);
        }
    }

    /** The local subscriptions now, counted per pattern and queue group; a copy, taken under the lock. */
    public synchronized Map<InterestCounts.Entry, Integer> localSubscriptions() {
        return interest.counts();
    }

    private static void deliverPlain(Match match, long publisherId, boolean noEcho, ByteString body,
                                     PublisherFlow flow) {
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
    }

    @SuppressWarnings("unchecked")
    private static List<String>[] newGroupLists() {
        List<String>[] lists = new List[RemoteSubscriber.MAX_NODES];
        for (int i = 0; i < lists.length; i++) {
            lists[i] = new ArrayList<>(1);
        }
        return lists;
    }

    /** A random broker among those with members of a group, or null when none has. */
    private static RemoteSubscriber pickRemote(SubscriberSet[] sets) {
        int total = 0;
        for (SubscriberSet s : sets) {
            total += s.size();
        }
        if (total == 0) {
            return null;
        }
        int at = total == 1 ? 0 : ThreadLocalRandom.current().nextInt(total);
        for (SubscriberSet s : sets) {
            SubscriberSet.Snapshot members = s.snapshot();
            if (at < members.size) {
                return (RemoteSubscriber) members.get(at).subscriber();
            }
            at -= members.size;
        }
        return null;
    }

    /**
     * One member of the group gets the message, picked at random (which spreads load without a counter that every
     * publisher would contend on); if the chosen one cannot take it, the next one is tried. Returns whether one took
     * it.
     */
    private static boolean deliverToOne(SubscriberSet[] sets, long publisherId, boolean noEcho, ByteString body,
                                        PublisherFlow flow) {
        if (sets.length == 1) {
            return deliverToOne(sets[0].snapshot(), publisherId, noEcho, body, flow);
        }
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
                return true;
            }
        }
        return false;
    }

    private static boolean deliverToOne(SubscriberSet.Snapshot members, long publisherId, boolean noEcho,
                                        ByteString body, PublisherFlow flow) {
        int n = members.size;
        int start = n <= 1 ? 0 : ThreadLocalRandom.current().nextInt(n);
        for (int i = 0; i < n; i++) {
            Subscription s = members.get((start + i) % n);
            if (!(noEcho && s.subscriber().id() == publisherId) && s.deliver(body, flow)) {
                return true;
            }
        }
        return false;
    }

    /** Forgets a remote broker's slot once all its interest has left the index. */
    public synchronized void forgetRemote(RemoteSubscriber remote) {
        if (remotes[remote.index()] == remote) {
            remotes[remote.index()] = null;
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
