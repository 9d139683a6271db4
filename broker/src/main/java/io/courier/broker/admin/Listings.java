package io.courier.broker.admin;

import io.courier.broker.observability.Link;
import io.courier.broker.observability.Links;
import io.courier.broker.observability.TopTopics;
import io.courier.broker.routing.InterestCounts;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** The JSON of {@code /api/connections}, {@code /api/subscriptions} and {@code /api/topics}. */
public final class Listings {

    private Listings() {
    }

    /**
     * One client link.
     *
     * @param transport    {@code tcp}, or {@code tcp+udp} once the client opened its UDP side
     * @param connected    false while it is still in its handshake
     * @param pendingBytes bytes queued for it, not yet written
     * @param idleMillis   since the client last sent anything
     */
    public record ConnectionView(long id, String name, String remote, String transport, boolean connected,
                                 int subscriptions, long messagesIn, long messagesOut, long bytesIn, long bytesOut,
                                 long pendingBytes, long idleMillis, long uptimeMillis) { }

    /** A page of links, in id order; {@code total} counts every link open now. */
    public record ConnectionsPage(int offset, int limit, int total, List<ConnectionView> connections) { }

    /** A pattern (with its queue group, "" for none) and how many local subscriptions it has. */
    public record SubscriptionEntry(String pattern, String queueGroup, int subscriptions) { }

    /**
     * {@code /api/subscriptions}: local subscriptions counted per pattern and group, most first.
     *
     * @param total  every subscription routed to, other brokers' interest included
     * @param local  local clients' subscriptions
     * @param shown  entries listed (at most the limit asked for)
     */
    public record SubscriptionsView(int total, int local, int patterns, int shown, List<SubscriptionEntry> entries) { }

    /** {@code /api/topics}: the most published topics, estimated from one publish in {@code sampleEvery}. */
    public record TopicsView(int sampleEvery, List<TopTopics.Entry> topics) { }

    public static ConnectionsPage connections(Links links, int offset, int limit) {
        long now = System.currentTimeMillis();
        List<ConnectionView> views = new ArrayList<>();
        for (Link l : links.page(offset, limit)) {
            views.add(new ConnectionView(l.id(), l.name(), l.remote(), l.transport(), l.isConnected(),
                    l.subscriptions(), l.messagesIn(), l.messagesOut(), l.bytesIn(), l.bytesOut(), l.pendingBytes(),
                    l.idleMillis(), now - l.openedMillis()));
        }
        return new ConnectionsPage(offset, limit, links.size(), views);
    }

    public static SubscriptionsView subscriptions(Map<InterestCounts.Entry, Integer> local, int total, int limit) {
        List<SubscriptionEntry> entries = new ArrayList<>(local.size());
        int sum = 0;
        for (Map.Entry<InterestCounts.Entry, Integer> e : local.entrySet()) {
            entries.add(new SubscriptionEntry(e.getKey().pattern(), e.getKey().queueGroup(), e.getValue()));
            sum += e.getValue();
        }
        entries.sort(Comparator.comparingInt(SubscriptionEntry::subscriptions).reversed()
                .thenComparing(SubscriptionEntry::pattern).thenComparing(SubscriptionEntry::queueGroup));
        List<SubscriptionEntry> shown = entries.size() > limit ? entries.subList(0, limit) : entries;
        return new SubscriptionsView(total, sum, entries.size(), shown.size(), shown);
    }

    public static TopicsView topics(TopTopics topics, int limit) {
        return new TopicsView(TopTopics.SAMPLE_EVERY, topics.top(limit));
    }
}
