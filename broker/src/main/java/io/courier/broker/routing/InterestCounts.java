package io.courier.broker.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How many local subscriptions each pattern (with its queue group) has: what this broker wants from the others of a
 * cluster is the set of entries with a count above zero, and only the crossings of zero are news to them. Guarded by
 * the {@link Router}'s lock.
 */
public final class InterestCounts {

    /** A pattern and its queue group ("" for none): one unit of interest between brokers. */
    public record Entry(String pattern, String queueGroup) { }

    private final Map<Entry, int[]> counts = new HashMap<>();

    /** Counts one more subscription; true when it is the first. */
    boolean add(String pattern, String queueGroup) {
        int[] c = counts.computeIfAbsent(new Entry(pattern, queueGroup), e -> new int[1]);
        return c[0]++ == 0;
    }

    /** Counts one subscription fewer; true when it was the last. */
    boolean remove(String pattern, String queueGroup) {
        Entry e = new Entry(pattern, queueGroup);
        int[] c = counts.get(e);
        if (c == null) {
            return false;
        }
        if (--c[0] == 0) {
            counts.remove(e);
            return true;
        }
        return false;
    }

    int size() {
        return counts.size();
    }

    Map<Entry, Integer> counts() {
        Map<Entry, Integer> copy = new HashMap<>(counts.size() * 2);
        counts.forEach((e, c) -> copy.put(e, c[0]));
        return copy;
    }

    List<Entry> entries() {
        return new ArrayList<>(counts.keySet());
    }
}
