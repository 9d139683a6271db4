package io.courier.broker.routing;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a topic's messages go: the subscriber sets of the trie nodes whose patterns match it, plain ones (each
 * subscription gets the message) and queue groups (one member per group name gets it, the group's members gathered
 * across all matching nodes). A match refers to the sets, not to copies of what they hold, so subscribing to or
 * unsubscribing from a pattern whose node exists leaves every cached match valid; only a change to the trie's shape
 * (a node or a group that appears) makes cached matches stale, and then only those of the topics it can affect (see
 * {@link SubscriptionIndex}). Immutable, so a cached match is shared by all publishing threads.
 */
public final class Match {

    static final Match EMPTY = new Match(new SubscriberSet[0], new SubscriberSet[0][], null);

    private final SubscriberSet[] plain;
    private final SubscriberSet[][] groups;
    /** The index's generations when this match was computed; null for the shared empty match. */
    final SubscriptionIndex.Stamp stamp;

    Match(SubscriberSet[] plain, SubscriberSet[][] groups, SubscriptionIndex.Stamp stamp) {
        this.plain = plain;
        this.groups = groups;
        this.stamp = stamp;
    }

    /** Whether no subscription receives the topic now. */
    public boolean isEmpty() {
        for (SubscriberSet s : plain) {
            if (s.size() > 0) {
                return false;
            }
        }
        for (SubscriberSet[] group : groups) {
            for (SubscriberSet s : group) {
                if (s.size() > 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Plain subscriptions now; each receives every message. */
    public List<Subscription> plain() {
        List<Subscription> out = new ArrayList<>();
        for (SubscriberSet s : plain) {
            addAll(s, out);
        }
        return out;
    }

    /** Queue groups now, one list of members per group name that has any. */
    public List<List<Subscription>> queueGroups() {
        List<List<Subscription>> out = new ArrayList<>(groups.length);
        for (SubscriberSet[] group : groups) {
            List<Subscription> members = new ArrayList<>();
            for (SubscriberSet s : group) {
                addAll(s, members);
            }
            if (!members.isEmpty()) {
                out.add(members);
            }
        }
        return out;
    }

    SubscriberSet[] plainSets() {
        return plain;
    }

    /** For each group name, the sets of its members at the matching nodes. */
    SubscriberSet[][] groupSets() {
        return groups;
    }

    private static void addAll(SubscriberSet set, List<Subscription> out) {
        SubscriberSet.Snapshot snapshot = set.snapshot();
        for (int i = 0; i < snapshot.size; i++) {
            out.add(snapshot.get(i));
        }
    }
}
