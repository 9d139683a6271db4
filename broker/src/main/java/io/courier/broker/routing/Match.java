package io.courier.broker.routing;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a topic's messages go: the subscriber sets of the trie nodes whose patterns match it, plain ones (each
 * subscription gets the message), other brokers' interest (each such broker gets the message once), and queue
 * groups (one member per group name gets it, the group's members gathered across all matching nodes, clients' and
 * other brokers' apart). A match refers to the sets, not to copies of what they hold, so subscribing to or
 * unsubscribing from a pattern whose node exists leaves every cached match valid; only a change to the trie's shape
 * (a node or a group that appears) makes cached matches stale, and then only those of the topics it can affect (see
 * {@link SubscriptionIndex}). Immutable, so a cached match is shared by all publishing threads.
 */
public final class Match {

    /** One queue group name's members at the matching nodes: clients' ({@code local}) and other brokers'. */
    record Group(String name, SubscriberSet[] local, SubscriberSet[] remote) { }

    static final Match EMPTY = new Match(new SubscriberSet[0], new SubscriberSet[0], new Group[0], null);

    private final SubscriberSet[] plain;
    private final SubscriberSet[] remote;
    private final Group[] groups;
    /** The index's generations when this match was computed; null for the shared empty match. */
    final SubscriptionIndex.Stamp stamp;

    Match(SubscriberSet[] plain, SubscriberSet[] remote, Group[] groups, SubscriptionIndex.Stamp stamp) {
        this.plain = plain;
        this.remote = remote;
        this.groups = groups;
        this.stamp = stamp;
    }

    /** Whether no client subscription and no other broker receives the topic now. */
    public boolean isEmpty() {
        return !any(plain) && !any(remote) && !anyGroupMember(true);
    }

    /** Whether no client subscription on this broker receives the topic now (other brokers' interest aside). */
    public boolean isEmptyLocally() {
        return !any(plain) && !anyGroupMember(false);
    }

    /** Plain client subscriptions now; each receives every message. */
    public List<Subscription> plain() {
        List<Subscription> out = new ArrayList<>();
        for (SubscriberSet s : plain) {
            addAll(s, out);
        }
        return out;
    }

    /** Client queue groups now, one list of members per group name that has any. */
    public List<List<Subscription>> queueGroups() {
        List<List<Subscription>> out = new ArrayList<>(groups.length);
        for (Group group : groups) {
            List<Subscription> members = new ArrayList<>();
            for (SubscriberSet s : group.local()) {
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

    SubscriberSet[] remoteSets() {
        return remote;
    }

    Group[] groups() {
        return groups;
    }

    private boolean anyGroupMember(boolean includeRemote) {
        for (Group g : groups) {
            if (any(g.local()) || (includeRemote && any(g.remote()))) {
                return true;
            }
        }
        return false;
    }

    private static boolean any(SubscriberSet[] sets) {
        for (SubscriberSet s : sets) {
            if (s.size() > 0) {
                return true;
            }
        }
        return false;
    }

    private static void addAll(SubscriberSet set, List<Subscription> out) {
        SubscriberSet.Snapshot snapshot = set.snapshot();
        for (int i = 0; i < snapshot.size; i++) {
            out.add(snapshot.get(i));
        }
    }
}
