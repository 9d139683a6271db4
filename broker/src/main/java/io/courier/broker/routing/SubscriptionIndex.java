package io.courier.broker.routing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Topic trie with {@code *} and {@code >} wildcards and a match cache in front of it.
 *
 * <p>Concurrency by ownership: writers ({@link #add}, {@link #remove}) are serialised by the {@link Router};
 * readers ({@link #match}) take no lock. Children live in concurrent maps and each node's subscriptions are a
 * copy-on-write array, so a reader always sees a consistent node. Every write bumps a generation; a cached match
 * is only used while its generation is current, so a reader never keeps serving a result older than a write it
 * could have observed.
 */
public final class SubscriptionIndex {

    private static final Subscription[] NONE = new Subscription[0];

    private static final class Node {
        final ConcurrentHashMap<String, Node> children = new ConcurrentHashMap<>(4);
        volatile Subscription[] subscriptions = NONE;

        boolean isEmpty() {
            return subscriptions.length == 0 && children.isEmpty();
        }
    }

    private final Node root = new Node();
    private final int cacheSize;
    private final ConcurrentHashMap<String, Match> cache;
    private volatile long generation = 1;
    private volatile int count;

    /** @param cacheSize topics whose match results are kept; 0 disables the cache */
    public SubscriptionIndex(int cacheSize) {
        this.cacheSize = cacheSize;
        this.cache = new ConcurrentHashMap<>(Math.max(16, Math.min(cacheSize, 1 << 16)));
    }

    /** Subscriptions currently indexed. */
    public int size() {
        return count;
    }

    /** Adds a subscription under its pattern. Caller serialises writers. */
    void add(Subscription subscription) {
        Node node = root;
        for (String token : tokens(subscription.pattern())) {
            node = node.children.computeIfAbsent(token, t -> new Node());
        }
        Subscription[] old = node.subscriptions;
        Subscription[] updated = Arrays.copyOf(old, old.length + 1);
        updated[old.length] = subscription;
        node.subscriptions = updated;
        count++;
        invalidate();
    }

    /** Removes a subscription; returns false when it was not indexed. Caller serialises writers. */
    boolean remove(Subscription subscription) {
        String[] tokens = tokens(subscription.pattern());
        Node[] path = new Node[tokens.length + 1];
        path[0] = root;
        for (int i = 0; i < tokens.length; i++) {
            path[i + 1] = path[i].children.get(tokens[i]);
            if (path[i + 1] == null) {
                return false;
            }
        }
        Node node = path[tokens.length];
        Subscription[] old = node.subscriptions;
        int at = -1;
        for (int i = 0; i < old.length; i++) {
            if (old[i] == subscription) {
                at = i;
                break;
            }
        }
        if (at < 0) {
            return false;
        }
        Subscription[] updated = old.length == 1 ? NONE : new Subscription[old.length - 1];
        System.arraycopy(old, 0, updated, 0, at);
        System.arraycopy(old, at + 1, updated, at, old.length - at - 1);
        node.subscriptions = updated;
        // Prune emptied nodes bottom-up so a churn of unique topics does not grow the trie forever.
        for (int i = tokens.length; i > 0 && path[i].isEmpty(); i--) {
            path[i - 1].children.remove(tokens[i - 1], path[i]);
        }
        count--;
        invalidate();
        return true;
    }

    /** The subscriptions matching a valid publish topic. Lock-free. */
    public Match match(String topic) {
        long gen = generation;
        if (cacheSize > 0) {
            Match cached = cache.get(topic);
            if (cached != null && cached.generation == gen) {
                return cached;
            }
        }
        List<Subscription> found = new ArrayList<>();
        collect(root, tokens(topic), 0, found);
        Match match = Match.of(found, gen);
        if (cacheSize > 0) {
            if (cache.size() >= cacheSize) {
                cache.clear();
            }
            cache.put(topic, match);
        }
        return match;
    }

    private static void collect(Node node, String[] tokens, int depth, List<Subscription> out) {
        if (depth == tokens.length) {
            out.addAll(Arrays.asList(node.subscriptions));
            return;
        }
        Node gt = node.children.get(">");
        if (gt != null) {
            out.addAll(Arrays.asList(gt.subscriptions));
        }
        Node literal = node.children.get(tokens[depth]);
        if (literal != null) {
            collect(literal, tokens, depth + 1, out);
        }
        Node star = node.children.get("*");
        if (star != null) {
            collect(star, tokens, depth + 1, out);
        }
    }

    private void invalidate() {
        generation++;
        if (cacheSize > 0) {
            cache.clear();
        }
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
