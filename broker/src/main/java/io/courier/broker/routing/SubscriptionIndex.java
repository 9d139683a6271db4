package io.courier.broker.routing;

import io.courier.protocol.Topic;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Topic trie with {@code *} and {@code >} wildcards and a match cache in front of it.
 *
 * <p>Concurrency by ownership: writers ({@link #add}, {@link #remove}) are serialised by the {@link Router};
 * readers ({@link #match}) take no lock. Children live in concurrent maps and each node's subscriptions in a
 * {@link SubscriberSet}, whose add and remove never copy the whole set, so a reader always sees a consistent node.
 *
 * <p>The cache maps a topic to its {@link Match}, which refers to the matching nodes' sets rather than copying
 * them: subscribing to a pattern whose node exists (the common case: a thousand subscribers to {@code orders.>})
 * changes no cached match at all. Only a change of the trie's shape (a node or a queue group created) can make a
 * cached match miss a subscription, and it invalidates only the matches of the topics the new pattern can match,
 * found by the pattern's leading literal tokens: a generation per first token (striped), one per first two tokens,
 * and one for patterns that begin with a wildcard. A match is used only while its generations are current. (A node
 * or group that disappears needs nothing: a cached match keeps an empty set.) As in NATS's sublist, a change costs
 * in proportion to what it affects, not to the size of the cache.
 *
 * <p>Admission: a topic enters the cache on its second lookup (a small table of topic hashes remembers the first),
 * so one-off topics such as unique reply inboxes do not displace hot ones; when the cache is full an eighth of it
 * is let go, so a burst of new topics does not clear it.
 */
public final class SubscriptionIndex {

    private static final int FIRST_STRIPES = 256;
    private static final int SECOND_STRIPES = 4096;
    private static final GroupSet[] NO_GROUPS = new GroupSet[0];

    /** The subscriptions of one queue group at one node: clients' here, other brokers' apart. */
    private record GroupSet(String name, SubscriberSet members, SubscriberSet remoteMembers) {
        boolean isEmpty() {
            return members.size() == 0 && remoteMembers.size() == 0;
        }

        SubscriberSet setFor(Subscription s) {
            return s.isRemote() ? remoteMembers : members;
        }
    }

    private static final class Node {
        final ConcurrentHashMap<String, Node> children = new ConcurrentHashMap<>(4);
        final SubscriberSet plain = new SubscriberSet();
        /** Other brokers' interest in this pattern, kept apart so that local delivery never looks at it. */
        final SubscriberSet remote = new SubscriberSet();
        /** Copy-on-write: few group names per node. */
        volatile GroupSet[] groups = NO_GROUPS;

        boolean isEmpty() {
            return plain.size() == 0 && remote.size() == 0 && groups.length == 0 && children.isEmpty();
        }

        SubscriberSet plainFor(Subscription s) {
            return s.isRemote() ? remote : plain;
        }

        GroupSet group(String name) {
            for (GroupSet g : groups) {
                if (g.name().equals(name)) {
                    return g;
                }
            }
            return null;
        }
    }

    /** The generations a match was computed under, and where to look them up. */
    static final class Stamp {
        final long root;
        final int first;
        final long firstGeneration;
        final int second;
        final long secondGeneration;

        Stamp(long root, int first, long firstGeneration, int second, long secondGeneration) {
            this.root = root;
            this.first = first;
            this.firstGeneration = firstGeneration;
            this.second = second;
            this.secondGeneration = secondGeneration;
        }
    }

    private final Node root = new Node();
    private final int cacheSize;
    private final ConcurrentHashMap<String, Match> cache;
    /** Hashes of topics looked up once and not cached yet. Racy by design: a lost write costs one more lookup. */
    private final int[] seenOnce;
    private final AtomicBoolean evicting = new AtomicBoolean();
    private final AtomicLongArray firstGenerations = new AtomicLongArray(FIRST_STRIPES);
    private final AtomicLongArray secondGenerations = new AtomicLongArray(SECOND_STRIPES);
    private volatile long rootGeneration;
    private volatile int count;

    /** @param cacheSize topics whose match results are kept; 0 disables the cache */
    public SubscriptionIndex(int cacheSize) {
        this.cacheSize = cacheSize;
        this.cache = new ConcurrentHashMap<>(Math.max(16, Math.min(cacheSize, 1 << 16)));
        this.seenOnce = new int[Integer.highestOneBit(Math.max(16, Math.min(cacheSize, 1 << 20)) * 2)];
    }

    /** Subscriptions currently indexed. */
    public int size() {
        return count;
    }

    /** Adds a subscription under its pattern. Caller serialises writers. */
    void add(Subscription subscription) {
        String[] tokens = tokens(subscription.pattern());
        Node node = root;
        // Shape changes invalidate cached matches: from the first new node down, or at the node, for a new group.
        int reshapedFrom = -1;
        for (int i = 0; i < tokens.length; i++) {
            Node child = node.children.get(tokens[i]);
            if (child == null) {
                child = new Node();
                node.children.put(tokens[i], child);
                if (reshapedFrom < 0) {
                    reshapedFrom = i;
                }
            }
            node = child;
        }
        if (subscription.inQueueGroup()) {
            GroupSet group = node.group(subscription.queueGroup());
            if (group == null) {
                group = new GroupSet(subscription.queueGroup(), new SubscriberSet(), new SubscriberSet());
                GroupSet[] old = node.groups;
                GroupSet[] grown = Arrays.copyOf(old, old.length + 1);
                grown[old.length] = group;
                group.setFor(subscription).add(subscription);
                node.groups = grown;
                if (reshapedFrom < 0) {
                    reshapedFrom = tokens.length - 1;
                }
            } else {
                group.setFor(subscription).add(subscription);
            }
        } else {
            node.plainFor(subscription).add(subscription);
        }
        count++;
        if (reshapedFrom >= 0) {
            invalidate(tokens, reshapedFrom + 1);
        }
    }

    /** Removes a subscription; returns false when it was not indexed. Caller serialises writers. */
    boolean remove(Subscription subscription) {
        String[] tokens = tokens(subscription.pattern());
        Node[] path = path(tokens);
        if (path == null) {
            return false;
        }
        Node node = path[tokens.length];
        if (subscription.inQueueGroup()) {
            GroupSet group = node.group(subscription.queueGroup());
            if (group == null || !group.setFor(subscription).remove(subscription)) {
                return false;
            }
            if (group.isEmpty()) {
                node.groups = Arrays.stream(node.groups).filter(g -> g != group).toArray(GroupSet[]::new);
            }
        } else if (!node.plainFor(subscription).remove(subscription)) {
            return false;
        }
        prune(tokens, path);
        count--;
        return true;
    }

    /**
     * Removes {@code gone} (a closing connection's subscriptions): each node's set is rebuilt once, however many of
     * them it held. Returns how many were indexed. Caller serialises writers.
     */
    int removeAll(Collection<Subscription> gone) {
        Map<String, Set<Subscription>> byPattern = new HashMap<>();
        for (Subscription s : gone) {
            byPattern.computeIfAbsent(s.pattern(), p -> Collections.newSetFromMap(new IdentityHashMap<>())).add(s);
        }
        int removed = 0;
        for (Map.Entry<String, Set<Subscription>> e : byPattern.entrySet()) {
            String[] tokens = tokens(e.getKey());
            Node[] path = path(tokens);
            if (path == null) {
                continue;
            }
            Node node = path[tokens.length];
            removed += node.plain.removeAll(e.getValue()) + node.remote.removeAll(e.getValue());
            for (GroupSet group : node.groups) {
                removed += group.members().removeAll(e.getValue()) + group.remoteMembers().removeAll(e.getValue());
            }
            node.groups = Arrays.stream(node.groups).filter(g -> !g.isEmpty()).toArray(GroupSet[]::new);
            prune(tokens, path);
        }
        count -= removed;
        return removed;
    }

    /** The nodes from the root to {@code tokens}' node, or null when it does not exist. */
    private Node[] path(String[] tokens) {
        Node[] path = new Node[tokens.length + 1];
        path[0] = root;
        for (int i = 0; i < tokens.length; i++) {
            path[i + 1] = path[i].children.get(tokens[i]);
            if (path[i + 1] == null) {
                return null;
            }
        }
        return path;
    }

    /** Prunes emptied nodes bottom-up so a churn of unique topics does not grow the trie forever. */
    private static void prune(String[] tokens, Node[] path) {
        for (int i = tokens.length; i > 0 && path[i].isEmpty(); i--) {
            path[i - 1].children.remove(tokens[i - 1], path[i]);
        }
    }

    /** The subscriptions matching a valid publish topic. Lock-free. */
    public Match match(String topic) {
        if (cacheSize > 0) {
            Match cached = cache.get(topic);
            if (cached != null && isCurrent(cached.stamp)) {
                return cached;
            }
        }
        String[] tokens = tokens(topic);
        int first = firstStripe(tokens[0]);
        int second = secondStripe(tokens[0], tokens.length > 1 ? tokens[1] : "");
        // The generations are read before the walk: a reshape during it leaves this match stale, never wrong for long.
        Stamp stamp = new Stamp(rootGeneration, first, firstGenerations.get(first), second,
                secondGenerations.get(second));
        List<Node> found = new ArrayList<>();
        collect(root, tokens, 0, found);
        Match match = matchOf(found, stamp);
        if (cacheSize > 0) {
            admit(topic, match);
        }
        return match;
    }

    private boolean isCurrent(Stamp stamp) {
        return stamp.root == rootGeneration
                && stamp.firstGeneration == firstGenerations.get(stamp.first)
                && stamp.secondGeneration == secondGenerations.get(stamp.second);
    }

    private static Match matchOf(List<Node> nodes, Stamp stamp) {
        List<SubscriberSet> plain = new ArrayList<>(nodes.size());
        List<SubscriberSet> remote = new ArrayList<>(nodes.size());
        Map<String, List<GroupSet>> groups = null;
        for (Node node : nodes) {
            plain.add(node.plain);
            remote.add(node.remote);
            for (GroupSet g : node.groups) {
                if (groups == null) {
                    groups = new LinkedHashMap<>();
                }
                groups.computeIfAbsent(g.name(), name -> new ArrayList<>()).add(g);
            }
        }
        Match.Group[] groupArray = new Match.Group[groups == null ? 0 : groups.size()];
        if (groups != null) {
            int i = 0;
            for (Map.Entry<String, List<GroupSet>> e : groups.entrySet()) {
                List<GroupSet> sets = e.getValue();
                groupArray[i++] = new Match.Group(e.getKey(),
                        sets.stream().map(GroupSet::members).toArray(SubscriberSet[]::new),
                        sets.stream().map(GroupSet::remoteMembers).toArray(SubscriberSet[]::new));
            }
        }
        return new Match(plain.toArray(new SubscriberSet[0]), remote.toArray(new SubscriberSet[0]), groupArray,
                stamp);
    }

    /** Every node whose pattern matches {@code tokens} from {@code depth} on, empty ones included. */
    private static void collect(Node node, String[] tokens, int depth, List<Node> out) {
        if (depth == tokens.length) {
            out.add(node);
            return;
        }
        // A topic whose first token starts with '$' (the broker's $SYS.) is matched by no leading wildcard: only a
        // pattern that names it (Topic#covers).
        boolean wildcards = depth > 0 || !Topic.isReserved(tokens[0]);
        Node gt = wildcards ? node.children.get(">") : null;
        if (gt != null) {
            out.add(gt);
        }
        Node literal = node.children.get(tokens[depth]);
        if (literal != null) {
            collect(literal, tokens, depth + 1, out);
        }
        Node star = wildcards ? node.children.get("*") : null;
        if (star != null) {
            collect(star, tokens, depth + 1, out);
        }
    }

    /**
     * The trie changed shape at the node of the first {@code length} tokens of {@code pattern} (and below it): the
     * cached matches of every topic under that node may be stale. Those topics share the node's leading literal
     * tokens, which say which generation to move on.
     */
    private void invalidate(String[] pattern, int length) {
        if (isWildcard(pattern[0])) {
            rootGeneration++;
        } else if (length == 1 || isWildcard(pattern[1])) {
            firstGenerations.incrementAndGet(firstStripe(pattern[0]));
        } else {
            secondGenerations.incrementAndGet(secondStripe(pattern[0], pattern[1]));
        }
    }

    private void admit(String topic, Match match) {
        if (cache.size() >= cacheSize) {
            evictAnEighth();
        }
        int h = topic.hashCode();
        int slot = (h ^ (h >>> 16)) & (seenOnce.length - 1);
        if (seenOnce[slot] == h || cache.containsKey(topic)) {
            cache.put(topic, match);
        } else {
            seenOnce[slot] = h;
        }
    }

    private void evictAnEighth() {
        if (!evicting.compareAndSet(false, true)) {
            return;
        }
        try {
            int n = Math.max(1, cacheSize / 8);
            Iterator<String> keys = cache.keySet().iterator();
            while (n-- > 0 && keys.hasNext()) {
                keys.next();
                keys.remove();
            }
        } finally {
            evicting.set(false);
        }
    }

    private static boolean isWildcard(String token) {
        return token.equals("*") || token.equals(">");
    }

    private static int firstStripe(String first) {
        return mix(first.hashCode()) & (FIRST_STRIPES - 1);
    }

    private static int secondStripe(String first, String second) {
        return mix(31 * first.hashCode() + second.hashCode()) & (SECOND_STRIPES - 1);
    }

    private static int mix(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    private static String[] tokens(String topic) {
        int n = 1;
        for (int i = 0; i < topic.length(); i++) {
            if (topic.charAt(i) == '.') {
                n++;
            }
        }
        String[] out = new String[n];
        int start = 0;
        int k = 0;
        for (int i = 0; i < topic.length(); i++) {
            if (topic.charAt(i) == '.') {
                out[k++] = topic.substring(start, i);
                start = i + 1;
            }
        }
        out[k] = topic.substring(start);
        return out;
    }
}
